package bbs

import (
	"bytes"
	"fmt"
	"sync"

	"github.com/cloudflare/circl/ecc/bls12381"
	"github.com/cloudflare/circl/ecc/bls12381/ff"
)

// SuiteID is a ciphersuite_id of the draft (§7.2).
type SuiteID string

// The two BLS12-381 ciphersuites of the draft (§7.2.1, §7.2.2).
const (
	SuiteSHAKE256 SuiteID = "BBS_BLS12381G1_XOF:SHAKE-256_SSWU_RO_"
	SuiteSHA256   SuiteID = "BBS_BLS12381G1_XMD:SHA-256_SSWU_RO_"
)

// MaxMessages bounds the number of messages (and so of generators) any
// operation accepts: every generator costs a hash_to_curve, and a proof's
// length decides how many a verifier derives.
const MaxMessages = 1024

// Suite is one ciphersuite with the BBS Signatures Interface of the draft
// (§3.5, api_id = ciphersuite_id || "H2G_HM2S_"). A Suite caches the
// generators it has created (§4.1.1 allows it); it is safe for concurrent
// use. Use the shared SHA256 and SHAKE256 suites unless you need options.
type Suite struct {
	id     SuiteID
	apiID  []byte
	expand expandFunc
	h2c    func(msg, dst []byte) (*bls12381.G1, error)
	cache  bool

	p1Once sync.Once
	p1     bls12381.G1
	p1Err  error

	mu   sync.Mutex
	gens generatorState
	bp2  bls12381.G2
	bp2N bls12381.G2 // -BP2
}

// Option configures NewSuite.
type Option func(*Suite)

// WithoutGeneratorCache makes the suite derive the generators again on every
// call (for benchmarks and for checking the cache against a cold path).
func WithoutGeneratorCache() Option { return func(s *Suite) { s.cache = false } }

// NewSuite returns a fresh suite (with its own generator cache).
func NewSuite(id SuiteID, opts ...Option) (*Suite, error) {
	s := &Suite{id: id, cache: true}
	switch id {
	case SuiteSHA256:
		s.expand = expandXMD
		s.h2c = func(msg, dst []byte) (*bls12381.G1, error) {
			if len(dst) > maxDSTLen {
				return nil, fmt.Errorf("%w: DST longer than %d bytes", ErrParameter, maxDSTLen)
			}
			var g bls12381.G1
			g.Hash(msg, dst)
			return &g, nil
		}
	case SuiteSHAKE256:
		s.expand = expandXOF
		s.h2c = func(msg, dst []byte) (*bls12381.G1, error) { return hashToCurveG1(expandXOF, msg, dst) }
	default:
		return nil, fmt.Errorf("%w: unknown ciphersuite %q", ErrParameter, id)
	}
	s.apiID = []byte(string(id) + "H2G_HM2S_")
	s.bp2 = *bls12381.G2Generator()
	s.bp2N = s.bp2
	s.bp2N.Neg()
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

func mustSuite(id SuiteID) *Suite {
	s, err := NewSuite(id)
	if err != nil {
		panic(err)
	}
	return s
}

var (
	sha256Suite   = sync.OnceValue(func() *Suite { return mustSuite(SuiteSHA256) })
	shake256Suite = sync.OnceValue(func() *Suite { return mustSuite(SuiteSHAKE256) })
)

// SHA256 returns the process-wide BLS12-381-SHA-256 suite.
func SHA256() *Suite { return sha256Suite() }

// SHAKE256 returns the process-wide BLS12-381-SHAKE-256 suite.
func SHAKE256() *Suite { return shake256Suite() }

// ID returns the ciphersuite_id.
func (s *Suite) ID() SuiteID { return s.id }

// APIID returns api_id = ciphersuite_id || "H2G_HM2S_".
func (s *Suite) APIID() []byte { return append([]byte(nil), s.apiID...) }

func (s *Suite) dst(suffix string) []byte {
	return append(append(make([]byte, 0, len(s.apiID)+len(suffix)), s.apiID...), suffix...)
}

// generatorState is create_generators' loop state: v after n iterations and
// the n points made so far.
type generatorState struct {
	v []byte
	n uint64
	generators
}

// generators are points of create_generators with their compressed
// encodings (calculate_domain hashes them; encoding costs an inversion).
type generators struct {
	pts []bls12381.G1
	enc [][]byte
}

func (g generators) prefix(n int) generators {
	return generators{pts: g.pts[:n:n], enc: g.enc[:n:n]}
}

// extend runs create_generators' loop (§4.1.1) until st holds count points.
func (s *Suite) extend(st *generatorState, seed, seedDST, genDST []byte, count int) error {
	if st.v == nil {
		v, err := s.expand(seed, seedDST, expandLen)
		if err != nil {
			return err
		}
		st.v = v
	}
	for len(st.pts) < count {
		st.n++
		in := i2osp8(append(make([]byte, 0, len(st.v)+8), st.v...), st.n)
		v, err := s.expand(in, seedDST, expandLen)
		if err != nil {
			return err
		}
		st.v = v
		g, err := s.h2c(v, genDST)
		if err != nil {
			return err
		}
		st.pts = append(st.pts, *g)
		st.enc = append(st.enc, g.BytesCompressed())
	}
	return nil
}

// createGenerators is create_generators(count, api_id). The returned slices
// are shared with the cache: callers must not modify them.
func (s *Suite) createGenerators(count int) (generators, error) {
	if count < 0 || count > MaxMessages+1 {
		return generators{}, fmt.Errorf("%w: %d generators", ErrTooManyMessages, count)
	}
	seed, seedDST, genDST := s.dst("MESSAGE_GENERATOR_SEED"), s.dst("SIG_GENERATOR_SEED_"), s.dst("SIG_GENERATOR_DST_")
	if !s.cache {
		var st generatorState
		if err := s.extend(&st, seed, seedDST, genDST, count); err != nil {
			return generators{}, err
		}
		return st.generators, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.extend(&s.gens, seed, seedDST, genDST, count); err != nil {
		return generators{}, err
	}
	return s.gens.prefix(count), nil
}

// P1 returns the suite's fixed point P1 (§7.2): create_generators(1) with
// generator_seed = api_id || "BP_MESSAGE_GENERATOR_SEED".
func (s *Suite) p1Point() (*bls12381.G1, error) {
	s.p1Once.Do(func() {
		var st generatorState
		s.p1Err = s.extend(&st, s.dst("BP_MESSAGE_GENERATOR_SEED"), s.dst("SIG_GENERATOR_SEED_"), s.dst("SIG_GENERATOR_DST_"), 1)
		if s.p1Err == nil {
			s.p1 = st.pts[0]
		}
	})
	if s.p1Err != nil {
		return nil, s.p1Err
	}
	p := s.p1
	return &p, nil
}

// P1 returns the compressed encoding of the suite's fixed point P1.
func (s *Suite) P1() ([]byte, error) {
	p, err := s.p1Point()
	if err != nil {
		return nil, err
	}
	return p.BytesCompressed(), nil
}

// CreateGenerators returns create_generators(count, api_id) as compressed
// G1 points: Q_1 first, then H_1 .. H_(count-1).
func (s *Suite) CreateGenerators(count int) ([][]byte, error) {
	g, err := s.createGenerators(count)
	if err != nil {
		return nil, err
	}
	out := make([][]byte, len(g.enc))
	for i := range g.enc {
		out[i] = bytes.Clone(g.enc[i])
	}
	return out, nil
}

// HashToScalar is hash_to_scalar(msg, dst) (§4.2.2), returned as 32
// big-endian bytes.
func (s *Suite) HashToScalar(msg, dst []byte) ([]byte, error) {
	sc, err := s.hashToScalar(msg, dst)
	if err != nil {
		return nil, err
	}
	return scalarBytes(&sc), nil
}

// messagesToScalars is messages_to_scalars (§4.1.2) with
// map_dst = api_id || "MAP_MSG_TO_SCALAR_AS_HASH_".
func (s *Suite) messagesToScalars(messages [][]byte) ([]ff.Scalar, error) {
	if len(messages) > MaxMessages {
		return nil, fmt.Errorf("%w: %d messages, at most %d", ErrTooManyMessages, len(messages), MaxMessages)
	}
	dst := s.dst("MAP_MSG_TO_SCALAR_AS_HASH_")
	out := make([]ff.Scalar, len(messages))
	for i, m := range messages {
		sc, err := s.hashToScalar(m, dst)
		if err != nil {
			return nil, err
		}
		out[i] = sc
	}
	return out, nil
}

// MessagesToScalars is messages_to_scalars (§4.1.2), each scalar as 32
// big-endian bytes.
func (s *Suite) MessagesToScalars(messages [][]byte) ([][]byte, error) {
	sc, err := s.messagesToScalars(messages)
	if err != nil {
		return nil, err
	}
	out := make([][]byte, len(sc))
	for i := range sc {
		out[i] = scalarBytes(&sc[i])
	}
	return out, nil
}

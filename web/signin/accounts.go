package signin

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/cairn-id/cairn/internal/bounded"
	"github.com/cairn-id/cairn/internal/fsx"
)

// Role is what an operator account may do.
type Role string

// The roles: a desk operator makes and cancels offers for one issuer; a
// caseworker asks for and reviews presentations at one verifier desk.
const (
	RoleDesk       Role = "desk"
	RoleCaseworker Role = "caseworker"
)

// Valid reports a known role.
func (r Role) Valid() bool { return r == RoleDesk || r == RoleCaseworker }

// Account is one operator account as kept in the accounts file: no
// secret, only its Argon2id hash (RFC 9106) in the PHC string format.
type Account struct {
	Name string `json:"name"`
	Role Role   `json:"role"`
	// Scope is what the account acts for: the issuer's name (desk) or
	// the verifier desk's name (caseworker).
	Scope   string    `json:"scope"`
	Hash    string    `json:"hash"`
	Created time.Time `json:"created"`
}

// Errors of the accounts file. Match them with errors.Is.
var (
	ErrInvalid = errors.New("signin: invalid account")
	ErrExists  = errors.New("signin: the account exists")
	ErrUnknown = errors.New("signin: no such account")
	ErrFormat  = errors.New("signin: the accounts file is not valid")
)

// Bounds of names and secrets.
const (
	MinSecretLen  = 12
	MaxSecretLen  = 256
	maxFileBytes  = 1 << 20
	accountsFmt   = 1
	codeGroups    = 5
	codeGroupSize = 4
)

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)

// CheckName checks an account or scope name: lower-case letters,
// digits, '.', '_' and '-', at most 63.
func CheckName(name string) error {
	if !nameRE.MatchString(name) {
		return fmt.Errorf("%w: %q is not a lower-case name (letters, digits, . _ -, at most 63)", ErrInvalid, name)
	}
	return nil
}

// CheckSecret checks a chosen password: MinSecretLen to MaxSecretLen
// characters of UTF-8 (NIST SP 800-63B §3.1.1.2 asks for length, not
// composition rules).
func CheckSecret(secret string) error {
	n := utf8.RuneCountInString(secret)
	if !utf8.ValidString(secret) || n < MinSecretLen || len(secret) > MaxSecretLen {
		return fmt.Errorf("%w: a password has %d to %d characters", ErrInvalid, MinSecretLen, MaxSecretLen)
	}
	return nil
}

// NewCode returns a generated sign-in code: 100 random bits as five
// groups of four base32 letters and digits (XXXX-XXXX-XXXX-XXXX-XXXX).
func NewCode(rnd io.Reader) (string, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	b := make([]byte, codeGroups*codeGroupSize*5/8)
	if _, err := io.ReadFull(rnd, b); err != nil {
		return "", err
	}
	s := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)
	var groups []string
	for i := 0; i < len(s); i += codeGroupSize {
		groups = append(groups, s[i:i+codeGroupSize])
	}
	return strings.Join(groups, "-"), nil
}

// KDF are the Argon2id parameters of new hashes; the stored PHC string
// keeps the ones each hash was made with.
type KDF struct {
	Time, MemoryKiB uint32
	Threads         uint8
}

// DefaultKDF is OWASP's first recommended Argon2id configuration (19 MiB,
// two passes, one lane): about 30 ms here, so a sign-in costs little and
// a stolen accounts file costs an attacker that much per guess.
var DefaultKDF = KDF{Time: 2, MemoryKiB: 19 * 1024, Threads: 1}

// Bounds on stored parameters, so a tampered file cannot make a sign-in
// exhaust memory.
const (
	maxMemoryKiB = 256 * 1024
	maxTime      = 16
	saltLen      = 16
	keyLen       = 32
)

var phcB64 = base64.RawStdEncoding

// Hash returns the PHC string of secret under fresh salt.
func Hash(secret string, p KDF, rnd io.Reader) (string, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	salt := make([]byte, saltLen)
	if _, err := io.ReadFull(rnd, salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(secret), salt, p.Time, p.MemoryKiB, p.Threads, keyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.MemoryKiB, p.Time, p.Threads,
		phcB64.EncodeToString(salt), phcB64.EncodeToString(key)), nil
}

// Verify reports whether secret matches the PHC string hash (in
// constant time for a given hash).
func Verify(hash, secret string) (bool, error) {
	p, salt, key, err := parsePHC(hash)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(secret), salt, p.Time, p.MemoryKiB, p.Threads, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

func parsePHC(h string) (p KDF, salt, key []byte, err error) {
	bad := fmt.Errorf("%w: a hash is not an Argon2id PHC string", ErrFormat)
	parts := strings.Split(h, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, nil, nil, bad
	}
	var m, t, par uint64
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, _ := strings.Cut(kv, "=")
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return p, nil, nil, bad
		}
		switch k {
		case "m":
			m = n
		case "t":
			t = n
		case "p":
			par = n
		default:
			return p, nil, nil, bad
		}
	}
	if m < 8 || m > maxMemoryKiB || t < 1 || t > maxTime || par < 1 || par > 16 || m < 8*par {
		return p, nil, nil, bad
	}
	salt, err1 := phcB64.DecodeString(parts[4])
	key, err2 := phcB64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(salt) < 8 || len(key) < 16 || len(key) > 64 {
		return p, nil, nil, bad
	}
	return KDF{Time: uint32(t), MemoryKiB: uint32(m), Threads: uint8(par)}, salt, key, nil
}

// File is the accounts file (JSON, mode 0600). Operator commands write
// it (atomically); the sign-in reads it on every attempt, so an account
// added or removed while the pages run counts at once.
type File struct{ Path string }

type fileBody struct {
	Format   int       `json:"format"`
	Accounts []Account `json:"accounts"`
}

// Load reads the accounts (none when the file does not exist).
func (f File) Load() ([]Account, error) {
	b, err := bounded.ReadFile(f.Path, maxFileBytes)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("signin: %w", err)
	}
	var body fileBody
	if err := json.Unmarshal(b, &body); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrFormat, f.Path, err)
	}
	if body.Format != accountsFmt {
		return nil, fmt.Errorf("%w: %s: format %d", ErrFormat, f.Path, body.Format)
	}
	for _, a := range body.Accounts {
		if CheckName(a.Name) != nil || CheckName(a.Scope) != nil || !a.Role.Valid() {
			return nil, fmt.Errorf("%w: %s: account %q", ErrFormat, f.Path, a.Name)
		}
		if _, _, _, err := parsePHC(a.Hash); err != nil {
			return nil, fmt.Errorf("%s: account %q: %w", f.Path, a.Name, err)
		}
	}
	return body.Accounts, nil
}

// Find returns the account name (nil: none).
func (f File) Find(name string) (*Account, error) {
	as, err := f.Load()
	if err != nil {
		return nil, err
	}
	for i := range as {
		if as[i].Name == name {
			return &as[i], nil
		}
	}
	return nil, nil
}

func (f File) save(as []Account) error {
	b, _ := json.MarshalIndent(fileBody{Format: accountsFmt, Accounts: as}, "", "  ")
	return fsx.WriteAtomic(f.Path, append(b, '\n'), 0o600)
}

// Add stores a (with its Hash made by the caller); replace allows a new
// secret (or role) for an existing name, else ErrExists.
func (f File) Add(a Account, replace bool) error {
	if err := CheckName(a.Name); err != nil {
		return err
	}
	if err := CheckName(a.Scope); err != nil {
		return err
	}
	if !a.Role.Valid() {
		return fmt.Errorf("%w: role %q (desk or caseworker)", ErrInvalid, a.Role)
	}
	if _, _, _, err := parsePHC(a.Hash); err != nil {
		return err
	}
	as, err := f.Load()
	if err != nil {
		return err
	}
	i := slices.IndexFunc(as, func(x Account) bool { return x.Name == a.Name })
	switch {
	case i >= 0 && !replace:
		return fmt.Errorf("%w: %s", ErrExists, a.Name)
	case i >= 0:
		as[i] = a
	default:
		as = append(as, a)
	}
	return f.save(as)
}

// Remove deletes the account name.
func (f File) Remove(name string) error {
	as, err := f.Load()
	if err != nil {
		return err
	}
	i := slices.IndexFunc(as, func(x Account) bool { return x.Name == name })
	if i < 0 {
		return fmt.Errorf("%w: %s", ErrUnknown, name)
	}
	return f.save(slices.Delete(as, i, i+1))
}

// Exists reports whether the accounts file exists.
func (f File) Exists() bool {
	_, err := os.Stat(f.Path)
	return err == nil
}

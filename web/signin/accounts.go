package signin

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
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
// secret, only its hash in a PHC string: Argon2id (RFC 9106) for a
// chosen password, HMAC-SHA-256 under a salt for a generated code (the
// rule is at codeScheme).
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

// NewCode returns a generated sign-in code, 100 random bits as five
// groups of four base32 letters and digits (XXXX-XXXX-XXXX-XXXX-XXXX),
// and the hash to store for it (see the scheme rule at codeScheme).
// Generating the code is the only way to a hash of the fast scheme: a
// chosen password goes through Hash (Argon2id) whatever it looks like.
func NewCode(rnd io.Reader) (code, hash string, err error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	b := make([]byte, codeGroups*codeGroupSize*5/8)
	if _, err := io.ReadFull(rnd, b); err != nil {
		return "", "", err
	}
	s := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)
	var groups []string
	for i := 0; i < len(s); i += codeGroupSize {
		groups = append(groups, s[i:i+codeGroupSize])
	}
	code = strings.Join(groups, "-")
	salt := make([]byte, saltLen)
	if _, err := io.ReadFull(rnd, salt); err != nil {
		return "", "", err
	}
	return code, fmt.Sprintf("$%s$v=%d$%s$%s", codeScheme, codeVersion, phcB64.EncodeToString(salt),
		phcB64.EncodeToString(codeMAC(salt, code))), nil
}

// The stored-hash schemes, told apart by the PHC id of the hash.
//
// The rule: a secret a person chose (a password from a file or a
// prompt) is stored as Argon2id (Hash), a slow, memory-hard hash,
// because people choose guessable passwords and a stolen accounts file
// must cost an attacker much per guess. A generated sign-in code
// (NewCode) carries 100 random bits: no guess list reaches it, so a slow
// hash adds nothing (2^99 HMAC computations on average is out of
// reach) and would only cost time ('cairn up' seeds its accounts on its
// first start, which must be quick). Codes are stored as HMAC-SHA-256 (RFC 2104)
// keyed by a per-account random salt, compared in constant time. Only
// NewCode makes such a hash, so a chosen password is never stored with
// the fast scheme, even one that looks like a code.
const (
	argonScheme = "argon2id"
	codeScheme  = "cairn-code-hmac-sha256"
	codeVersion = 1
)

// codeMAC is the code scheme's hash of code under salt: HMAC-SHA-256 of
// the code's canonical form (upper case, without separators), so a code
// typed in lower case or without its dashes still matches.
func codeMAC(salt []byte, code string) []byte {
	m := hmac.New(sha256.New, salt)
	m.Write([]byte(canonicalCode(code)))
	return m.Sum(nil)
}

func canonicalCode(code string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '-' || r == ' ':
			return -1
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		}
		return r
	}, code)
}

// Slow reports whether a stored hash is of the slow scheme (Argon2id):
// the sign-in equalizes the time of the others against it.
func Slow(hash string) bool { return strings.HasPrefix(hash, "$"+argonScheme+"$") }

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

// Hash returns the Argon2id PHC string of a chosen secret under fresh
// salt (generated codes: NewCode).
func Hash(secret string, p KDF, rnd io.Reader) (string, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	salt := make([]byte, saltLen)
	if _, err := io.ReadFull(rnd, salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(secret), salt, p.Time, p.MemoryKiB, p.Threads, keyLen)
	return fmt.Sprintf("$"+argonScheme+"$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.MemoryKiB, p.Time, p.Threads,
		phcB64.EncodeToString(salt), phcB64.EncodeToString(key)), nil
}

// Verify reports whether secret matches the stored hash, of either
// scheme (in constant time for a given hash).
func Verify(hash, secret string) (bool, error) {
	if strings.HasPrefix(hash, "$"+codeScheme+"$") {
		salt, mac, err := parseCodeHash(hash)
		if err != nil {
			return false, err
		}
		return hmac.Equal(codeMAC(salt, secret), mac), nil
	}
	p, salt, key, err := parsePHC(hash)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(secret), salt, p.Time, p.MemoryKiB, p.Threads, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

// checkHash checks a stored hash of either scheme.
func checkHash(h string) error {
	if strings.HasPrefix(h, "$"+codeScheme+"$") {
		_, _, err := parseCodeHash(h)
		return err
	}
	_, _, _, err := parsePHC(h)
	return err
}

func parseCodeHash(h string) (salt, mac []byte, err error) {
	parts := strings.Split(h, "$")
	if len(parts) != 5 || parts[0] != "" || parts[1] != codeScheme || parts[2] != "v="+strconv.Itoa(codeVersion) {
		return nil, nil, fmt.Errorf("%w: a hash is not a sign-in code hash", ErrFormat)
	}
	salt, err1 := phcB64.DecodeString(parts[3])
	mac, err2 := phcB64.DecodeString(parts[4])
	if err1 != nil || err2 != nil || len(salt) < 8 || len(salt) > 64 || len(mac) != sha256.Size {
		return nil, nil, fmt.Errorf("%w: a hash is not a sign-in code hash", ErrFormat)
	}
	return salt, mac, nil
}

func parsePHC(h string) (p KDF, salt, key []byte, err error) {
	bad := fmt.Errorf("%w: a hash is not an Argon2id PHC string", ErrFormat)
	parts := strings.Split(h, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != argonScheme || parts[2] != "v="+strconv.Itoa(argon2.Version) {
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
// it (atomically, under a lock file beside it); the sign-in reads it on
// every attempt, so an account added or removed while the pages run
// counts at once.
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
		if err := checkHash(a.Hash); err != nil {
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

// lock takes the accounts file's lock (Path+".lock" beside it): Add and
// Remove read, change and write the file under it, so two operator
// commands at the same moment (or a command and the stack's seeding)
// cannot lose each other's account. Readers need no lock: the file is
// replaced whole (fsx.WriteAtomic).
func (f File) lock() (func() error, error) {
	unlock, err := fsx.Lock(f.Path + ".lock")
	if err != nil {
		return nil, fmt.Errorf("signin: %w", err)
	}
	return unlock, nil
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
	if err := checkHash(a.Hash); err != nil {
		return err
	}
	unlock, err := f.lock()
	if err != nil {
		return err
	}
	defer unlock()
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
	unlock, err := f.lock()
	if err != nil {
		return err
	}
	defer unlock()
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

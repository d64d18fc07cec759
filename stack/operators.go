package stack

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/cairn-id/cairn/internal/fsx"
	"github.com/cairn-id/cairn/web/signin"
)

// Operator accounts of the stack's desk and console pages (web/signin).
const (
	// OperatorsFile keeps the accounts (0600): names, roles, scopes and
	// hashes (web/signin), never a secret.
	OperatorsFile = "operators.json"
	// OperatorsLockFile, beside it, is locked while the accounts file is
	// changed (web/signin.File).
	OperatorsLockFile = OperatorsFile + ".lock"
	// OperatorCodesDir holds each generated sign-in code, one 0600 file
	// per account (NAME.code), for the administrator to hand over and
	// delete.
	OperatorCodesDir = "operators"
	// CaseworkerScope names the stack's one verifier desk: the scope of
	// its caseworkers.
	CaseworkerScope = "verifier"
	// DeskOperatorPrefix and DefaultCaseworker name the accounts seeded
	// with the demo: desk-<issuer> for each issuer, and caseworker.
	DeskOperatorPrefix = "desk-"
	DefaultCaseworker  = "caseworker"
)

// ErrUnknownIssuer: a desk account names no issuer of the stack.
var ErrUnknownIssuer = errors.New("stack: no such issuer in this stack")

// OperatorRequest is an account to add.
type OperatorRequest struct {
	Name string
	Role signin.Role
	// Issuer is a desk operator's issuer (a name of the stack's issuers).
	Issuer string
	// Secret is the chosen password (signin.CheckSecret); empty: a
	// sign-in code is generated and written to OperatorCodesDir/NAME.code.
	Secret string
	// Replace gives an existing account a new secret.
	Replace bool
	Now     time.Time
	Rand    io.Reader
	// KDF are the Argon2id parameters of a chosen Secret (nil:
	// signin.DefaultKDF). A generated code is hashed with web/signin's
	// fast scheme.
	KDF *signin.KDF
	// codeKDF, when set, hashes a generated code with Argon2id as
	// before the fast scheme: BenchmarkOpen's baseline only.
	codeKDF *signin.KDF
}

// OperatorAccounts is the stack's accounts file.
func OperatorAccounts(data string) signin.File {
	return signin.File{Path: filepath.Join(data, OperatorsFile)}
}

// AddOperator adds (or with Replace renews) an operator account of the
// stack in data. With no Secret it returns the path of the file holding
// the generated sign-in code (0600, written new: an old code file is
// replaced only with Replace).
func AddOperator(data string, req OperatorRequest) (codePath string, err error) {
	st, err := readState(data)
	if err != nil {
		return "", fmt.Errorf("stack: %s: %w", data, err)
	}
	return addOperator(data, st.Issuers, req)
}

func addOperator(data string, issuers []string, req OperatorRequest) (codePath string, err error) {
	p, err := prepareOperator(data, issuers, req)
	if err != nil {
		return "", err
	}
	return p.codePath, p.store(data, req.Replace)
}

// prepared is an account ready to store, with its secret when generated.
type prepared struct {
	acct           signin.Account
	code, codePath string
}

// prepareOperator checks req and hashes its secret (the slow part).
func prepareOperator(data string, issuers []string, req OperatorRequest) (*prepared, error) {
	scope := CaseworkerScope
	switch req.Role {
	case signin.RoleDesk:
		if !slices.Contains(issuers, req.Issuer) {
			return nil, fmt.Errorf("%w: %q (the issuers are %v)", ErrUnknownIssuer, req.Issuer, issuers)
		}
		scope = req.Issuer
	case signin.RoleCaseworker:
		if req.Issuer != "" {
			return nil, fmt.Errorf("%w: a caseworker acts for the verifier desk, not an issuer", signin.ErrInvalid)
		}
	default:
		return nil, fmt.Errorf("%w: role %q (desk or caseworker)", signin.ErrInvalid, req.Role)
	}
	if err := signin.CheckName(req.Name); err != nil {
		return nil, err
	}
	if req.Secret != "" {
		if err := signin.CheckSecret(req.Secret); err != nil {
			return nil, err
		}
	}
	if !req.Replace {
		if a, err := OperatorAccounts(data).Find(req.Name); err != nil {
			return nil, err
		} else if a != nil {
			return nil, fmt.Errorf("%w: %s (give it a new secret with --replace)", signin.ErrExists, req.Name)
		}
	}
	// A chosen password is hashed with Argon2id, a generated code with
	// the fast scheme: web/signin decides (NewCode, Hash).
	p := &prepared{}
	var hash string
	var err error
	switch {
	case req.Secret != "":
		kdf := signin.DefaultKDF
		if req.KDF != nil {
			kdf = *req.KDF
		}
		hash, err = signin.Hash(req.Secret, kdf, req.Rand)
	case req.codeKDF != nil: // BenchmarkOpen's baseline: codes hashed as passwords
		p.code, _, err = signin.NewCode(req.Rand)
		if err == nil {
			hash, err = signin.Hash(p.code, *req.codeKDF, req.Rand)
		}
	default:
		p.code, hash, err = signin.NewCode(req.Rand)
	}
	if err != nil {
		return nil, err
	}
	if p.code != "" {
		p.codePath = filepath.Join(data, OperatorCodesDir, req.Name+".code")
	}
	now := req.Now
	if now.IsZero() {
		now = time.Now()
	}
	p.acct = signin.Account{Name: req.Name, Role: req.Role, Scope: scope, Hash: hash, Created: now.UTC().Truncate(time.Second)}
	return p, nil
}

// store writes the code file (new, unless replace) and the account.
func (p *prepared) store(data string, replace bool) error {
	if p.codePath != "" {
		if err := os.MkdirAll(filepath.Dir(p.codePath), 0o700); err != nil {
			return err
		}
		write := fsx.WriteNew
		if replace {
			write = fsx.WriteAtomic
		}
		if err := write(p.codePath, []byte(p.code+"\n"), 0o600); err != nil {
			return fmt.Errorf("stack: sign-in code: %w", err)
		}
	}
	if err := OperatorAccounts(data).Add(p.acct, replace); err != nil {
		if p.codePath != "" && !replace {
			os.Remove(p.codePath)
		}
		return err
	}
	return nil
}

// RemoveOperator deletes an account (and its code file, if any). Its
// sign-ins end at their next request.
func RemoveOperator(data, name string) error {
	if err := OperatorAccounts(data).Remove(name); err != nil {
		return err
	}
	if err := os.Remove(filepath.Join(data, OperatorCodesDir, name+".code")); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// seedOperators creates the demo's accounts when the stack has none: a
// desk operator per issuer (desk-<issuer>) and a caseworker, each with a
// generated sign-in code; it returns the code files.
// codeKDF set hashes the codes with Argon2id (BenchmarkOpen's baseline).
func seedOperators(data string, issuers []string, now time.Time, codeKDF *signin.KDF) ([]string, error) {
	if OperatorAccounts(data).Exists() {
		return nil, nil
	}
	var reqs []OperatorRequest
	for _, is := range issuers {
		reqs = append(reqs, OperatorRequest{Name: DeskOperatorPrefix + is, Role: signin.RoleDesk, Issuer: is, Now: now, codeKDF: codeKDF})
	}
	reqs = append(reqs, OperatorRequest{Name: DefaultCaseworker, Role: signin.RoleCaseworker, Now: now, codeKDF: codeKDF})
	// The hashes two at a time (they were Argon2id, the slow part, and
	// are in BenchmarkOpen's baseline); the file writes one by one.
	ps := make([]*prepared, len(reqs))
	errs := make([]error, len(reqs))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	for i, req := range reqs {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			ps[i], errs[i] = prepareOperator(data, issuers, req)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("stack: seeding operator accounts: %w", err)
	}
	var paths []string
	for _, p := range ps {
		if err := p.store(data, false); err != nil {
			return nil, fmt.Errorf("stack: seeding operator accounts: %w", err)
		}
		paths = append(paths, p.codePath)
	}
	return paths, nil
}

// UnclaimedCodes lists the sign-in code files still in data's
// OperatorCodesDir (sorted): codes not yet handed over and deleted,
// such as those of a first start that failed after seeding the
// accounts, which printed none of them.
func UnclaimedCodes(data string) []string {
	paths, _ := filepath.Glob(filepath.Join(data, OperatorCodesDir, "*.code"))
	return paths
}

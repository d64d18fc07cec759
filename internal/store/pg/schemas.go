package pg

import (
	"context"
	"fmt"
	"net/url"
	"regexp"

	"github.com/jackc/pgx/v5"
)

// schemaRE is a schema name: <prefix>_<service>, PostgreSQL's 63 bytes.
var schemaRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)

// SchemaPrefix is raw's cairn_schema_prefix (DefaultPrefix when absent).
func SchemaPrefix(raw string) (string, error) {
	_, prefix, err := splitPrefix(raw)
	return prefix, err
}

// WithSchemaPrefix returns raw with its cairn_schema_prefix set to
// prefix: how one database hosts several stores of one service (the
// issuers of 'cairn up', each under <prefix>_<name>).
func WithSchemaPrefix(raw, prefix string) (string, error) {
	if !identRE.MatchString(prefix) {
		return "", ErrBadSchemaPrefix
	}
	u, err := url.Parse(raw)
	if err != nil || !IsURL(raw) {
		return "", ErrNotURL // url's error would quote the password
	}
	q := u.Query()
	q.Set(PrefixParam, prefix)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// DropSchemas drops the named schemas (CASCADE; those missing are
// skipped) in one transaction, for a reset that must remove a
// deployment's stores and nothing else. Only plain identifiers are
// accepted. Errors never show the URL's password.
func DropSchemas(ctx context.Context, raw string, schemas []string) error {
	for _, s := range schemas {
		if !schemaRE.MatchString(s) {
			return fmt.Errorf("store: bad schema name %q", s)
		}
	}
	connURL, _, err := splitPrefix(raw)
	if err != nil {
		return err
	}
	sec := secrets(raw)
	conn, err := pgx.Connect(ctx, connURL)
	if err != nil {
		return redactErr(fmt.Errorf("store %s: %w", Redact(raw), err), sec)
	}
	defer conn.Close(ctx)
	return redactErr(pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		for _, s := range schemas {
			if _, err := tx.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{s}.Sanitize()+" CASCADE"); err != nil {
				return fmt.Errorf("store: drop schema %s: %w", s, err)
			}
		}
		return nil
	}), sec)
}

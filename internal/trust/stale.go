package trust

import (
	"errors"
	"fmt"
	"time"

	"github.com/cairn-id/cairn/internal/jose"
)

// ExpiredError is the error of a snapshot past its expiry: it says how
// old the snapshot is and since when it expired, so a desk can tell the
// person in front of it. It matches ErrSnapshotExpired with errors.Is.
type ExpiredError struct {
	IssuedAt, Expires, Now time.Time
}

func (e *ExpiredError) Error() string {
	return fmt.Sprintf("%v %s ago at %s (issued %s ago)", ErrSnapshotExpired,
		RoughAge(e.Now.Sub(e.Expires)), e.Expires.UTC().Format(time.RFC3339), RoughAge(e.Now.Sub(e.IssuedAt)))
}

// Is makes errors.Is(err, ErrSnapshotExpired) hold.
func (e *ExpiredError) Is(target error) bool { return target == ErrSnapshotExpired }

// ExpiredFor is how long ago the snapshot expired.
func (e *ExpiredError) ExpiredFor() time.Duration { return e.Now.Sub(e.Expires) }

// Age is how long ago the snapshot was issued.
func (e *ExpiredError) Age() time.Duration { return e.Now.Sub(e.IssuedAt) }

// RoughAge writes a duration the way a desk reads it: days and hours
// ("3d4h"), hours and minutes ("5h20m"), or minutes and seconds.
func RoughAge(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	d = d.Truncate(time.Second)
	switch {
	case d >= 24*time.Hour:
		return fmt.Sprintf("%dd%dh", d/(24*time.Hour), (d%(24*time.Hour))/time.Hour)
	case d >= time.Hour:
		return fmt.Sprintf("%dh%dm", d/time.Hour, (d%time.Hour)/time.Minute)
	}
	return d.String()
}

// verifySnapshotGrace is VerifySnapshot that also accepts a snapshot
// expired less than grace ago (an offline desk's explicit choice). It
// returns how long past expiry an accepted snapshot was (0 when fresh).
func verifySnapshotGrace(compact string, pinned []*jose.JWK, now time.Time, grace time.Duration) (*Registry, time.Duration, error) {
	r, err := verifySnapshotSignature(compact, pinned)
	if err != nil {
		return nil, 0, err
	}
	err = checkSnapshotTimes(r, now)
	var ee *ExpiredError
	if grace > 0 && errors.As(err, &ee) && ee.ExpiredFor() < grace {
		return r, ee.ExpiredFor(), nil
	}
	if err != nil {
		return nil, 0, err
	}
	return r, 0, nil
}

package api

import (
	"context"
	"log/slog"
	"time"

	"github.com/cairn-id/cairn/internal/server"
	"github.com/cairn-id/cairn/issuer"
)

// SweepEvery is how often SweepHook runs.
const SweepEvery = time.Minute

// SweepHook is the server.Run hook that deletes expired offers (with
// their claims), nonces, tokens and reservations every SweepEvery; a
// failure is logged and serving goes on.
func SweepHook(svc *issuer.Service, log *slog.Logger) server.Hook {
	return server.Hook{Name: "sweep", Every: SweepEvery, Fn: func(ctx context.Context, _ server.Trigger) error {
		if st, err := svc.Sweep(ctx); err != nil {
			log.Error("sweep failed", "err", err)
		} else if st.Offers+st.Nonces+st.Tokens > 0 {
			log.Info("swept expired state", "offers", st.Offers, "nonces", st.Nonces, "tokens", st.Tokens)
		}
		return nil
	}}
}

// RegistryHook is the server.Run hook that reloads the trust registry
// snapshot with load (which reads file) on SIGHUP and every every (0:
// only on SIGHUP), through Service.ReloadRegistry: a refused snapshot is
// logged by the Service and the one in use stays; one in use that has
// expired is logged as an error, since every offer is then refused.
func RegistryHook(svc *issuer.Service, log *slog.Logger, file string, every time.Duration, load issuer.RegistryLoader) server.Hook {
	return server.Hook{Name: "registry", OnHangup: true, Every: every, Fn: func(ctx context.Context, why server.Trigger) error {
		if why == server.TriggerTick {
			why = "refresh"
		}
		log.Info("reloading the trust registry", "trigger", string(why), "file", file)
		cur, _ := svc.ReloadRegistry(ctx, load) // a refusal is logged by the service
		if cur != nil && !svc.Now().Before(cur.Expires) {
			log.Error("the trust registry snapshot in use has expired: every offer is refused until a fresh one is loaded",
				"registry", cur.ID, "version", cur.Version, "expired", cur.Expires.UTC().Format(time.RFC3339))
		}
		return nil
	}}
}

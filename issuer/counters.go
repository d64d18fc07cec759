package issuer

// DefaultMaxLiveNonces is Config.MaxLiveNonces by default.
const DefaultMaxLiveNonces = 100000

// Counters receive the core's domain events for metrics; issuer/api
// implements them with Prometheus counters. Methods must be safe for
// concurrent use and cheap. Arguments come from fixed sets.
type Counters interface {
	// OfferCreated counts a stored offer.
	OfferCreated()
	// RegistryReload counts a ReloadRegistry outcome: one of
	// ReloadLoaded, ReloadUnchanged, ReloadRefused.
	RegistryReload(result string)
	// StatusListCache counts a Status List Token served from the
	// signed-token cache (hit) or signed anew.
	StatusListCache(hit bool)
}

// ReloadRegistry outcomes, as counted.
const (
	ReloadLoaded    = "loaded"
	ReloadUnchanged = "unchanged"
	ReloadRefused   = "refused"
)

type noCounters struct{}

func (noCounters) OfferCreated()         {}
func (noCounters) RegistryReload(string) {}
func (noCounters) StatusListCache(bool)  {}

type countersBox struct{ c Counters }

// SetCounters sets where domain events are counted (nil: nowhere).
func (s *Service) SetCounters(c Counters) {
	if c == nil {
		c = noCounters{}
	}
	s.ctr.Store(&countersBox{c})
}

func (s *Service) counters() Counters {
	if b := s.ctr.Load(); b != nil {
		return b.c
	}
	return noCounters{}
}

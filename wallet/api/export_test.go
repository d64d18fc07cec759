package api

// Scrub and OfferSecrets are exported for the tests of package api_test.
var (
	Scrub        = scrub
	OfferSecrets = offerSecrets
)

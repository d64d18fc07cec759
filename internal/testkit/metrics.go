package testkit

import (
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// ParseMetrics parses a /metrics body with the Prometheus text parser
// (what a scraper reads), failing tb when it does not parse.
func ParseMetrics(tb testing.TB, body string) map[string]*dto.MetricFamily {
	tb.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		tb.Fatalf("parse /metrics: %v\n%s", err, body)
	}
	return fams
}

// MetricWith returns the metric of fam whose labels are exactly labels
// (nil: none, or fam is nil).
func MetricWith(fam *dto.MetricFamily, labels map[string]string) *dto.Metric {
	for _, m := range fam.GetMetric() {
		if len(m.GetLabel()) != len(labels) {
			continue
		}
		match := true
		for _, l := range m.GetLabel() {
			if v, ok := labels[l.GetName()]; !ok || v != l.GetValue() {
				match = false
			}
		}
		if match {
			return m
		}
	}
	return nil
}

// MetricValue is the value of the counter, or the sample count of the
// histogram, named name with exactly labels; -1 when there is none.
func MetricValue(fams map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	m := MetricWith(fams[name], labels)
	if m == nil {
		return -1
	}
	if h := m.GetHistogram(); h != nil {
		return float64(h.GetSampleCount())
	}
	return m.GetCounter().GetValue()
}

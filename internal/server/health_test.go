package server

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

func TestStoreCheck(t *testing.T) {
	errDown := errors.New("store down")
	errEmpty := errors.New("not initialized")
	tests := []struct {
		name     string
		ready    error
		expected []error
		counted  float64
	}{
		{"ready", nil, nil, 0},
		{"failing", errDown, nil, 1},
		{"failing, wrapped", fmt.Errorf("open: %w", errDown), []error{errEmpty}, 1},
		{"expected state", errEmpty, []error{errEmpty}, 0},
		{"expected state, wrapped", fmt.Errorf("get: %w", errEmpty), []error{errDown, errEmpty}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := prometheus.NewCounter(prometheus.CounterOpts{Name: "store_errors_total"})
			chk := StoreCheck(func(context.Context) error { return tc.ready }, c, tc.expected...)
			if chk.Name != "store" {
				t.Errorf("name %q", chk.Name)
			}
			if err := chk.Fn(context.Background()); !errors.Is(err, tc.ready) || (tc.ready == nil) != (err == nil) {
				t.Errorf("Fn = %v, want %v", err, tc.ready)
			}
			var m dto.Metric
			if err := c.Write(&m); err != nil {
				t.Fatal(err)
			}
			if got := m.GetCounter().GetValue(); got != tc.counted {
				t.Errorf("counted %v, want %v", got, tc.counted)
			}
		})
	}
	// No counter: the check still answers.
	if err := StoreCheck(func(context.Context) error { return errDown }, nil).Fn(context.Background()); !errors.Is(err, errDown) {
		t.Errorf("without a counter: %v", err)
	}
}

package coldstart

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

func TestPrices_breakEven(t *testing.T) {
	table := DefaultPriceTable()
	for _, arch := range []string{ArchX86, ArchARM64} {
		p, err := table.Lookup("us-east-1", arch)
		if err != nil {
			t.Fatal(err)
		}
		if u := p.BreakEvenUtilisation(); math.Abs(u-0.60) > 0.005 {
			t.Errorf("%s break-even utilisation = %.4f, want about 0.60", arch, u)
		}
	}
}

func TestPrices_durationTiers(t *testing.T) {
	p, _ := DefaultPriceTable().Lookup("us-east-1", ArchX86)
	for _, c := range []struct{ gbs, want float64 }{
		{0, 0},
		{1e6, 1e6 * 0.0000166667},
		{6e9, 6e9 * 0.0000166667},
		{10e9, 6e9*0.0000166667 + 4e9*0.000015},
		{20e9, 6e9*0.0000166667 + 9e9*0.000015 + 5e9*0.0000133334},
	} {
		if got := p.DurationCost(c.gbs); math.Abs(got-c.want) > 1e-6*math.Max(c.want, 1) {
			t.Errorf("DurationCost(%g) = %v, want %v", c.gbs, got, c.want)
		}
	}
}

func TestLoadPriceTable(t *testing.T) {
	in := `{"source":"negotiated 2026","regions":{"eu-central-1":{"arm64":{"duration_tiers":[{"up_to_gb_s":0,"price_per_gb_s":0.00001}],"requests_per_million":0.2,"pc_allocation_per_gb_s":0.000004,"pc_duration_per_gb_s":0.000008}}}}`
	table, err := LoadPriceTable(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	p, err := table.Lookup("eu-central-1", ArchARM64)
	if err != nil || p.PCAllocation != 0.000004 || table.Source != "negotiated 2026" {
		t.Fatalf("Lookup = %+v, %v", p, err)
	}
	if _, err := table.Lookup("us-east-1", ArchX86); err != nil {
		t.Errorf("built-in region lost: %v", err)
	}
	if table.InitBillingFrom != time.Date(2025, 8, 1, 0, 0, 0, 0, time.UTC) {
		t.Errorf("InitBillingFrom = %v", table.InitBillingFrom)
	}
	if _, err := table.Lookup("eu-central-1", ArchX86); !errors.Is(err, ErrNoPrices) {
		t.Errorf("missing architecture: err = %v, want ErrNoPrices", err)
	}
	if _, err := table.Lookup("mars-1", ArchX86); !errors.Is(err, ErrNoPrices) {
		t.Errorf("missing region: err = %v, want ErrNoPrices", err)
	}
	for _, bad := range []string{
		`{"regions":{"x":{"arm64":{"duration_tiers":[],"pc_allocation_per_gb_s":1,"pc_duration_per_gb_s":1}}}}`,
		`{"regions":{"x":{"arm64":{"duration_tiers":[{"price_per_gb_s":1}],"pc_allocation_per_gb_s":0,"pc_duration_per_gb_s":1}}}}`,
		`{"regions":{"x":{"arm64":{"duration_tiers":[{"up_to_gb_s":5,"price_per_gb_s":1},{"up_to_gb_s":2,"price_per_gb_s":1},{"price_per_gb_s":1}],"pc_allocation_per_gb_s":1,"pc_duration_per_gb_s":1}}}}`,
		`{"regionz":{}}`,
	} {
		if _, err := LoadPriceTable(strings.NewReader(bad)); err == nil {
			t.Errorf("LoadPriceTable(%s) accepted", bad)
		}
	}
}

func TestProvisionedSecondsPerMonth(t *testing.T) {
	var weekdays [7]bool
	for d := 1; d <= 5; d++ {
		weekdays[d] = true
	}
	always := provisionedSecondsPerMonth(Schedule{Always: 2})
	if always != 2*HoursPerMonth*3600 {
		t.Errorf("always-on 2 = %v s", always)
	}
	w := provisionedSecondsPerMonth(Schedule{Windows: []Window{{Days: weekdays, StartHour: 7, EndHour: 10, Environments: 4}}})
	want := 4 * 3 * 3600 * 5 * HoursPerMonth / (24.0 * 7)
	if math.Abs(w-want) > 1e-6 {
		t.Errorf("window = %v s, want %v", w, want)
	}
}

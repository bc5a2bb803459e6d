package coldstart

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"time"
)

// Architectures of Lambda functions, as used in [PriceTable].
const (
	ArchX86   = "x86_64"
	ArchARM64 = "arm64"
)

// Tier is one on-demand duration price tier: Price per GB-second for usage
// up to UpToGBs GB-seconds a month (0 = no upper bound).
type Tier struct {
	UpToGBs float64 `json:"up_to_gb_s"`
	Price   float64 `json:"price_per_gb_s"`
}

// Prices are the Lambda list prices of one region and architecture, in USD.
type Prices struct {
	// Duration is the on-demand duration price by monthly volume tier, in
	// increasing order of UpToGBs with the last tier unbounded. Tiers apply
	// to the account's monthly total per region and architecture; the
	// analysis applies them to the function alone, which overstates the
	// price of a function in a busy account.
	Duration []Tier `json:"duration_tiers"`
	// RequestsPerMillion is the price of one million requests.
	RequestsPerMillion float64 `json:"requests_per_million"`
	// PCAllocation is the price per GB-second of provisioned concurrency
	// configured, billed from enable to disable rounded up to 5 minutes.
	PCAllocation float64 `json:"pc_allocation_per_gb_s"`
	// PCDuration is the duration price per GB-second of requests served by
	// provisioned environments.
	PCDuration float64 `json:"pc_duration_per_gb_s"`
}

// PriceTable holds the prices by region and architecture.
type PriceTable struct {
	// Source says where the prices come from and when they were read.
	Source string `json:"source"`
	// InitBillingFrom is when Lambda began billing the INIT phase of
	// on-demand ZIP functions on managed runtimes (custom runtimes,
	// container images and provisioned concurrency were billed before).
	InitBillingFrom time.Time `json:"init_billing_from"`
	// Regions maps a region to its prices by architecture.
	Regions map[string]map[string]Prices `json:"regions"`
}

// PCBillingIncrement is the granularity of provisioned concurrency billing:
// from enable to disable, rounded up to five minutes.
const PCBillingIncrement = 5 * time.Minute

// usEast1 are the list prices of US East (N. Virginia).
//
// Source: https://aws.amazon.com/lambda/pricing/ (x86 and Arm tables, and
// the Provisioned Concurrency section: "rounded up to the nearest five
// minutes"), read 2026-11-26; tier boundaries from "Introducing tiered
// pricing for AWS Lambda", AWS Compute Blog, 2022-08-18 (x86: 6 and 15
// billion GB-s; arm64: 7.5 and 18.75 billion GB-s; 10% and 20% discounts).
var usEast1 = map[string]Prices{
	ArchX86: {
		Duration: []Tier{
			{UpToGBs: 6e9, Price: 0.0000166667},
			{UpToGBs: 15e9, Price: 0.0000150000},
			{UpToGBs: 0, Price: 0.0000133334},
		},
		RequestsPerMillion: 0.20,
		PCAllocation:       0.0000041667,
		PCDuration:         0.0000097222,
	},
	ArchARM64: {
		Duration: []Tier{
			{UpToGBs: 7.5e9, Price: 0.0000133334},
			{UpToGBs: 18.75e9, Price: 0.0000120001},
			{UpToGBs: 0, Price: 0.0000106667},
		},
		RequestsPerMillion: 0.20,
		PCAllocation:       0.0000033334,
		PCDuration:         0.0000077778,
	},
}

// DefaultPriceTable returns the built-in prices. The regions listed share
// the US East (N. Virginia) list prices (aws.amazon.com/lambda/pricing,
// read 2026-11-26); for other regions, or negotiated prices, load a table
// with [LoadPriceTable].
//
// The INIT billing date is from "AWS Lambda standardizes billing for INIT
// Phase", AWS Compute Blog, 2025-04-29: effective 2025-08-01 the INIT phase
// of on-demand invocations of ZIP functions on managed runtimes is billed
// like the INVOKE phase.
func DefaultPriceTable() *PriceTable {
	t := &PriceTable{
		Source:          "aws.amazon.com/lambda/pricing, US East (N. Virginia) list prices, read 2026-11-26",
		InitBillingFrom: time.Date(2025, 8, 1, 0, 0, 0, 0, time.UTC),
		Regions:         map[string]map[string]Prices{},
	}
	for _, r := range []string{"us-east-1", "us-east-2", "us-west-2", "eu-west-1"} {
		t.Regions[r] = usEast1
	}
	return t
}

// LoadPriceTable reads a JSON price table (the shape [PriceTable] marshals
// to). Regions it lists replace the built-in ones; others are kept.
func LoadPriceTable(r io.Reader) (*PriceTable, error) {
	var in PriceTable
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return nil, fmt.Errorf("decode price table: %w", err)
	}
	t := DefaultPriceTable()
	if in.Source != "" {
		t.Source = in.Source
	}
	if !in.InitBillingFrom.IsZero() {
		t.InitBillingFrom = in.InitBillingFrom
	}
	for region, archs := range in.Regions {
		for arch, p := range archs {
			if err := p.validate(); err != nil {
				return nil, fmt.Errorf("price table %s/%s: %w", region, arch, err)
			}
		}
		t.Regions[region] = archs
	}
	return t, nil
}

// Lookup returns the prices of a region and architecture.
func (t *PriceTable) Lookup(region, arch string) (Prices, error) {
	archs, ok := t.Regions[region]
	if !ok {
		names := make([]string, 0, len(t.Regions))
		for n := range t.Regions {
			names = append(names, n)
		}
		sort.Strings(names)
		return Prices{}, fmt.Errorf("%w: region %q (have %v; add it with a price file)", ErrNoPrices, region, names)
	}
	p, ok := archs[arch]
	if !ok {
		return Prices{}, fmt.Errorf("%w: architecture %q in %s", ErrNoPrices, arch, region)
	}
	return p, nil
}

func (p Prices) validate() error {
	if len(p.Duration) == 0 {
		return fmt.Errorf("no duration tiers")
	}
	for i, t := range p.Duration {
		if t.Price <= 0 {
			return fmt.Errorf("duration tier %d: price must be positive", i)
		}
		if i < len(p.Duration)-1 && (t.UpToGBs <= 0 || (i > 0 && t.UpToGBs <= p.Duration[i-1].UpToGBs)) {
			return fmt.Errorf("duration tier %d: bounds must increase", i)
		}
	}
	if p.RequestsPerMillion < 0 || p.PCAllocation <= 0 || p.PCDuration <= 0 {
		return fmt.Errorf("request and provisioned concurrency prices must be positive")
	}
	return nil
}

// DurationCost returns the on-demand price of gbs GB-seconds in one month,
// walking the volume tiers.
func (p Prices) DurationCost(gbs float64) float64 {
	cost, prev := 0.0, 0.0
	for _, t := range p.Duration {
		if t.UpToGBs == 0 || gbs <= t.UpToGBs {
			return cost + (gbs-prev)*t.Price
		}
		cost += (t.UpToGBs - prev) * t.Price
		prev = t.UpToGBs
	}
	return cost
}

// BreakEvenUtilisation returns the utilisation of a provisioned environment
// above which provisioned concurrency is cheaper than on-demand for the
// same work: allocation / (on-demand duration - PC duration), at the first
// tier. At list prices it is 0.60 for both architectures.
func (p Prices) BreakEvenUtilisation() float64 {
	d := p.Duration[0].Price - p.PCDuration
	if d <= 0 {
		return math.Inf(1)
	}
	return p.PCAllocation / d
}

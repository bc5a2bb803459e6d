package coldstart

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

func analyzeGenerated(t *testing.T, cfg GenerateConfig, opts Options) *FunctionReport {
	t.Helper()
	var buf bytes.Buffer
	if _, err := Generate(&buf, cfg); err != nil {
		t.Fatal(err)
	}
	rep, err := Analyze(context.Background(), ReaderSource("gen.log", "fn", &buf), &opts)
	if err != nil {
		t.Fatal(err)
	}
	return rep.Functions[0]
}

// TestPlan_noPCWhenColdStartsDoNotHurt: fast inits and no bursts meet the
// target without provisioned concurrency, which is then recommended.
func TestPlan_noPCWhenColdStartsDoNotHurt(t *testing.T) {
	f := analyzeGenerated(t, GenerateConfig{Seed: 2, Days: 2, DayRate: 0.2, MorningBurstRate: -1, InitMedian: 150 * time.Millisecond},
		Options{P99Target: time.Second})
	p := f.Plan
	if rec := p.Options[p.Recommended]; rec.Kind != "none" || !p.TargetMet {
		t.Errorf("recommended %q (target met %v), want no provisioned concurrency", rec.Name, p.TargetMet)
	}
	if !strings.HasPrefix(p.Explanation[0], "Recommended: no provisioned concurrency") {
		t.Errorf("explanation: %q", p.Explanation[0])
	}
}

// TestPlan_targetOutOfReach: a target below the warm latency cannot be met;
// the plan says so and picks the lowest worst-hour p99.
func TestPlan_targetOutOfReach(t *testing.T) {
	f := analyzeGenerated(t, GenerateConfig{Seed: 2, Days: 2, DayRate: 0.2, MorningBurstRate: 0.02},
		Options{P99Target: 50 * time.Millisecond})
	p := f.Plan
	if p.TargetMet {
		t.Fatal("a 50 ms target was met by 120 ms handlers")
	}
	rec := p.Options[p.Recommended]
	for _, op := range p.Options {
		if op.WorstHourP99Ms < rec.WorstHourP99Ms {
			t.Errorf("%s has a lower worst-hour p99 (%v) than the recommendation %s (%v)", op.Name, op.WorstHourP99Ms, rec.Name, rec.WorstHourP99Ms)
		}
	}
	if !strings.HasPrefix(p.Explanation[0], "No option meets") {
		t.Errorf("explanation: %q", p.Explanation[0])
	}
}

// TestPlan_fixedModel: with the idle timeout given, nothing is calibrated.
func TestPlan_fixedModel(t *testing.T) {
	f := analyzeGenerated(t, GenerateConfig{Seed: 2, Days: 2, DayRate: 0.2, MorningBurstRate: 0.02},
		Options{Model: Model{IdleTimeout: 7 * time.Minute}})
	c := f.Plan.Calibration
	if c.Calibrated || len(c.Tried) != 0 || f.Plan.Model.IdleTimeout != 7*time.Minute {
		t.Errorf("model %+v, calibration %+v", f.Plan.Model, c)
	}
}

func TestPCLevels(t *testing.T) {
	for top, want := range map[int]string{0: "[]", 1: "[1]", 5: "[1 2 4 5]", 8: "[1 2 4 8]", 40: "[1 2 4 8 16 32 40]"} {
		if got := fmt.Sprint(pcLevels(top)); got != want {
			t.Errorf("pcLevels(%d) = %s, want %s", top, got, want)
		}
	}
}

// TestPlan_initBilling: the pricing follows what the REPORT lines show.
func TestPlan_initBilling(t *testing.T) {
	log := func(billed string) string {
		var b strings.Builder
		for i := range 40 {
			at := time.Date(2025, 3, 3, 9, i, 0, 0, time.UTC) // before 2025-08-01
			init := ""
			bd := "100"
			if i%4 == 0 {
				init, bd = "\tInit Duration: 900.00 ms", billed
			}
			fmt.Fprintf(&b, "%s START RequestId: r%d Version: 1\n%s REPORT RequestId: r%d\tDuration: 100.00 ms\tBilled Duration: %s ms\tMemory Size: 512 MB\tMax Memory Used: 40 MB%s\n",
				at.Format("2006-01-02T15:04:05.000Z"), i, at.Add(time.Second).Format("2006-01-02T15:04:05.000Z"), i, bd, init)
		}
		return b.String()
	}
	for billed, want := range map[string]bool{"1000": true, "100": false} {
		rep, err := Analyze(context.Background(), ReaderSource("x", "fn", strings.NewReader(log(billed))), nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := rep.Functions[0].Plan.InitBilled; got != want {
			t.Errorf("billed duration %s ms: InitBilled = %v, want %v", billed, got, want)
		}
	}
}

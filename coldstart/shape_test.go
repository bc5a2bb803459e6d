package coldstart_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/rampartdev/rampart/coldstart"
	"github.com/rampartdev/rampart/coldstart/logsource"
)

// shapeFixtures are testdata/shapes (see its README.md): the same log
// events in every shape, with the shape each is detected as and whether
// it carries timestamps on every line and log stream names.
var shapeFixtures = []struct {
	file    string
	shape   coldstart.Shape
	timed   bool
	streams bool
}{
	{"lambda.log", coldstart.ShapeLambda, false, false},
	{"timestamped.log", coldstart.ShapeTimestamped, true, false},
	{"aws-logs-tail.log", coldstart.ShapeTail, true, true},
	{"aws-logs-tail-json.log", coldstart.ShapeTail, true, true},
	{"sam-logs.log", coldstart.ShapeSAM, true, true},
	{"serverless-logs.log", coldstart.ShapeServerless, false, false},
	{"cloudwatch-console.csv", coldstart.ShapeCSV, true, false},
	{"insights.csv", coldstart.ShapeInsightsCSV, true, true},
	{"filter-log-events.json", coldstart.ShapeEventsJSON, true, true},
	{"get-log-events.json", coldstart.ShapeEventsJSON, true, false},
	{"cloudwatch-console.json", coldstart.ShapeEventsJSON, true, true},
	{"insights.json", coldstart.ShapeInsightsJSON, true, true},
	{"get-query-results.json", coldstart.ShapeInsightsJSON, true, true},
	{"subscription.json.gz", coldstart.ShapeEventsJSON, true, true},
}

type fixtureCounts struct {
	invocations, onDemand, snapStart, timeouts, initStarts int64
	at7                                                    int64 // invocations in the 07:00 hour
	environments                                           int64
}

func countsOf(rep *coldstart.Report) map[string]fixtureCounts {
	out := map[string]fixtureCounts{}
	for _, f := range rep.Functions {
		c := out[f.Function+" "+f.Version]
		c.invocations += f.Invocations
		c.onDemand += f.ColdStarts.OnDemand
		c.snapStart += f.ColdStarts.SnapStart
		c.timeouts += f.Timeouts
		c.initStarts += f.ColdStarts.InitStarts
		c.at7 += f.ByHour[7].Invocations
		c.environments += f.Environments
		out[f.Function+" "+f.Version] = c
	}
	return out
}

// TestShapes_fixtures is the acceptance test: every shape, given
// as a file, yields the same invocations, cold starts and timeouts as the
// same events in Lambda's plain lines, the timed shapes put every
// invocation in its hour, and the shapes naming log streams count the
// execution environments.
func TestShapes_fixtures(t *testing.T) {
	want := map[string]fixtureCounts{
		"checkout $LATEST": {invocations: 6, onDemand: 2, timeouts: 2, initStarts: 2, at7: 6, environments: 2},
		"checkout 7":       {invocations: 1, snapStart: 1, at7: 1, environments: 1},
	}
	for _, fx := range shapeFixtures {
		t.Run(fx.file, func(t *testing.T) {
			path := filepath.Join("testdata", "shapes", fx.file)
			rep, err := coldstart.Analyze(context.Background(), &logsource.Files{Paths: []string{path}, Function: "checkout"}, &coldstart.Options{SkipPlan: true})
			if err != nil {
				t.Fatal(err)
			}
			in := rep.Input
			if len(in.Shapes) != 1 || in.Shapes[0].Shape != fx.shape {
				t.Errorf("shapes = %+v, want %s", in.Shapes, fx.shape)
			}
			if in.Malformed != 0 || in.UnmatchedStarts != 0 || in.ReportsWithoutStart != 0 {
				t.Errorf("input = %+v", in)
			}
			got := countsOf(rep)
			for k, w := range want {
				g := got[k]
				if !fx.timed {
					// The text lines of these shapes carry no time (the JSON
					// records do).
					g.at7, w.at7 = 0, 0
				}
				if !fx.streams {
					w.environments = 0
				}
				if g != w {
					t.Errorf("%s: got %+v, want %+v", k, g, w)
				}
			}
			if len(got) != len(want) {
				t.Errorf("functions = %v", got)
			}
			if fx.timed && in.UntimedReports != 0 {
				t.Errorf("%d REPORTs without a time", in.UntimedReports)
			}
		})
	}
}

func TestDetectShape_fixtures(t *testing.T) {
	for _, fx := range shapeFixtures {
		if filepath.Ext(fx.file) == ".gz" {
			continue // detected after gunzip, in TestShapes_fixtures
		}
		b, err := os.ReadFile(filepath.Join("testdata", "shapes", fx.file))
		if err != nil {
			t.Fatal(err)
		}
		if got := coldstart.DetectShape(b); got != fx.shape {
			t.Errorf("DetectShape(%s) = %s, want %s", fx.file, got, fx.shape)
		}
	}
}

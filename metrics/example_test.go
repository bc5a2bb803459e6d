package metrics_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/rampartdev/rampart/metrics"
)

func ExampleRecorder() {
	rec, err := metrics.New(os.Stdout, &metrics.Options{
		Namespace:        "Orders",
		Dimensions:       []metrics.Dimension{{Name: "service", Value: "checkout"}},
		DisableColdStart: true,
		Now:              func() time.Time { return time.UnixMilli(1764158400000) },
	})
	if err != nil {
		panic(err)
	}
	ctx, set := rec.Start(context.Background())
	defer set.Flush()

	m := metrics.FromContext(ctx)
	_ = m.Add("OrdersStored", metrics.Count, 1)
	_ = m.Add("BasketValue", metrics.None, 42.5)
	_ = m.SetProperty("orderId", "o-1842")
	// Output:
	// {"_aws":{"Timestamp":1764158400000,"CloudWatchMetrics":[{"Namespace":"Orders","Dimensions":[["service"]],"Metrics":[{"Name":"OrdersStored","Unit":"Count"},{"Name":"BasketValue","Unit":"None"}]}]},"service":"checkout","orderId":"o-1842","OrdersStored":1,"BasketValue":42.5}
}

// A function whose every invocation should count something can ask to hear
// about an invocation that counted nothing: EmptyWarn logs it, EmptyError
// makes Flush fail. By default (EmptyIgnore) an empty Set writes nothing.
func ExampleEmptyPolicy() {
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
	for _, policy := range []metrics.EmptyPolicy{metrics.EmptyIgnore, metrics.EmptyWarn, metrics.EmptyError} {
		rec, _ := metrics.New(os.Stdout, &metrics.Options{Namespace: "Orders", DisableColdStart: true, Empty: policy, Logger: logger})
		_, set := rec.Start(context.Background())
		fmt.Println(policy, set.Flush())
	}
	// Output:
	// EmptyIgnore <nil>
	// level=WARN msg="metrics: no metrics to flush" namespace=Orders
	// EmptyWarn <nil>
	// EmptyError metrics: no metrics to flush
}

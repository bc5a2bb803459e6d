package metrics_test

import (
	"context"
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

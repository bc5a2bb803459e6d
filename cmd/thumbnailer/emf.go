package main

import (
	"context"
	"encoding/json"
	"io"
	"sync"
	"time"
)

// emf writes each count as one CloudWatch embedded metric format line:
// CloudWatch Logs turns it into a metric without any API call.
type emf struct {
	mu        sync.Mutex
	w         io.Writer
	namespace string
	service   string
}

type emfMetric struct {
	Name string `json:"Name"`
	Unit string `json:"Unit"`
}

type emfDirective struct {
	Namespace  string      `json:"Namespace"`
	Dimensions [][]string  `json:"Dimensions"`
	Metrics    []emfMetric `json:"Metrics"`
}

type emfMeta struct {
	Timestamp         int64          `json:"Timestamp"`
	CloudWatchMetrics []emfDirective `json:"CloudWatchMetrics"`
}

func (e *emf) Count(_ context.Context, name string, n int) {
	line, err := json.Marshal(map[string]any{
		"_aws": emfMeta{Timestamp: time.Now().UnixMilli(), CloudWatchMetrics: []emfDirective{{
			Namespace: e.namespace, Dimensions: [][]string{{"service"}}, Metrics: []emfMetric{{Name: name, Unit: "Count"}},
		}}},
		"service": e.service,
		name:      n,
	})
	if err != nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.w.Write(append(line, '\n'))
}

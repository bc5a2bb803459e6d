package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rampartdev/rampart/internal/testingutil"
	"github.com/rampartdev/rampart/media"
	"github.com/rampartdev/rampart/media/mediatest"
)

func TestDev_UploadThumbnailRecord(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	out := &testingutil.Buffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"dev", "--data", t.TempDir(), "--addr", "127.0.0.1:0", "--sizes", "200,50", "--workers", "1"}, out, out)
	}()
	var base string
	deadline := time.Now().Add(2 * time.Minute) // bounds on a hang, not margins
	for base == "" {
		if time.Now().After(deadline) {
			t.Fatalf("dev did not start:\n%s", out)
		}
		for line := range strings.SplitSeq(out.String(), "\n") {
			var rec struct{ Msg, Addr string }
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "listening" {
				base = rec.Addr
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	req, _ := http.NewRequest("PUT", base+"/objects/uploads/a.jpg", bytes.NewReader(mediatest.MustJPEG(t, 400, 100, 5)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("PUT: %v %v", resp, err)
	}
	var up struct{ ID, RequestID string }
	json.NewDecoder(resp.Body).Decode(&up)
	resp.Body.Close()
	for start := time.Now(); ; time.Sleep(20 * time.Millisecond) {
		if time.Since(start) > 2*time.Minute {
			t.Fatalf("no processed record:\n%s", out)
		}
		resp, err := http.Get(base + "/media/" + up.ID)
		if err != nil {
			t.Fatal(err)
		}
		var rec media.Record
		json.NewDecoder(resp.Body).Decode(&rec)
		resp.Body.Close()
		if rec.Status == media.StatusProcessed {
			if len(rec.Thumbnails) != 2 || rec.Thumbnails[0].Width != 200 {
				t.Fatalf("record %+v", rec)
			}
			break
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"correlation_id":"`+up.RequestID+`"`) {
		t.Fatal("logs lack the upload's correlation id")
	}
}

func TestDev_BadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"dev", "--sizes", "x"}, {"dev", "--dup-rate", "2"}, {"dev", "--quality", "0"}, {"dev", "extra"}, {"dev", "--nope"},
		{"dev", "--visibility-timeout", "13h"}, {"dev", "--invocation-timeout", "500ms"}, {"dev", "--max-upload", "lots"},
	} {
		var out bytes.Buffer
		var u usageError
		if err := run(t.Context(), args, &out, &out); !errors.As(err, &u) {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
	}
}

// TestDev_addressInUse: when the port is taken, the error says how to pick
// another (make run ADDR=...).
func TestDev_addressInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var out bytes.Buffer
	err = run(t.Context(), []string{"dev", "--data", t.TempDir(), "--addr", ln.Addr().String()}, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "--addr") || !strings.Contains(err.Error(), "make run ADDR=") {
		t.Fatalf("dev on a taken port: %v", err)
	}
}

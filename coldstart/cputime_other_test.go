//go:build !unix

package coldstart

func cpuSeconds() float64 { return 0 }

package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ParseConfig reads the JSON form of a [Config] (the policy fields; see
// Config) strictly: unknown fields, trailing data and invalid values are
// errors, so that a typo in a deployed policy fails the start instead of
// silently meaning the default. It does not wire Tokens, Limiter or Logger.
func ParseConfig(data []byte) (Config, error) {
	var cfg Config
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return Config{}, fmt.Errorf("gateway: config: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Config{}, errors.New("gateway: config: data after the JSON object")
	}
	if err := cfg.validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// validate checks the policy fields. New and ParseConfig call it.
func (c *Config) validate() error {
	names := map[string]bool{}
	for i, r := range c.Routes {
		name := r.Name
		if name == "" {
			name = r.Prefix
		}
		switch {
		case !strings.HasPrefix(r.Prefix, "/"):
			return fmt.Errorf("gateway: route %d (%q): prefix %q must start with /", i, r.Name, r.Prefix)
		case r.Prefix != "/" && !validPrefix(r.Prefix):
			return fmt.Errorf("gateway: route %d (%q): prefix %q is not a path the gateway accepts", i, r.Name, r.Prefix)
		case names[name]:
			return fmt.Errorf("gateway: route %d: name %q is used twice", i, name)
		case strings.ContainsAny(name, "\"\\\x00\r\n") || !isPrint(name):
			return fmt.Errorf("gateway: route %d: name %q must be printable ASCII without quotes or backslashes", i, name)
		}
		names[name] = true
		for _, m := range r.Methods {
			if !forwardedMethods[m] {
				return fmt.Errorf("gateway: route %q: method %q is not one the gateway forwards (GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS)", name, m)
			}
		}
	}
	for _, l := range []struct {
		name string
		l    LimitConfig
	}{{"anonymous_limit", c.AnonymousLimit}, {"auth_failure_limit", c.AuthFailureLimit}} {
		if l.l.Period < 0 || l.l.Burst < 0 || l.name == "anonymous_limit" && l.l.Rate < 0 {
			return fmt.Errorf("gateway: %s: negative period, burst or rate", l.name)
		}
	}
	for _, h := range c.Hosts {
		if !validHost(h) {
			return fmt.Errorf("gateway: hosts: %q is not a host[:port]", h)
		}
	}
	if c.ForwardedHost != "" && !validHost(c.ForwardedHost) {
		return fmt.Errorf("gateway: forwarded_host: %q is not a host[:port]", c.ForwardedHost)
	}
	for _, q := range c.StripQuery {
		if q == "" {
			return errors.New("gateway: strip_query: empty parameter name")
		}
	}
	if c.MaxHeaderBytes < 0 || c.MaxBodyBytes < 0 || c.MaxPathBytes < 0 || c.Timeout < 0 || c.StreamIdleTimeout < 0 {
		return errors.New("gateway: config: negative size or timeout")
	}
	return nil
}

// validPrefix reports whether a route prefix is a path CleanPath accepts,
// with an optional trailing slash.
func validPrefix(p string) bool {
	_, err := CleanPath(strings.TrimSuffix(p, "/"), 0)
	return err == nil
}

func isPrint(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

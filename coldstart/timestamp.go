package coldstart

import "encoding/binary"

// parseTimestamp parses an ISO 8601 date and time at the start of b into
// Unix milliseconds and returns the number of bytes it used. It accepts
// what log tools write: "2026-11-23T07:00:02.431Z" (CloudWatch exports),
// "2026-11-23T07:00:02.431000+00:00" (aws logs tail), "2026-11-23T07:00:02"
// (sam logs, tail --format short), "2026-11-23 07:00:02.431" (Logs
// Insights), "2016-08-26 13:48:54.134 (+02:00)" (serverless logs v1): a T
// or a space between date and time, a fraction of any length after a dot
// or comma (digits beyond milliseconds are dropped), and a zone: Z, an
// offset ±hh:mm or ±hhmm, an offset in parentheses after a space, or none,
// which means UTC.
func parseTimestamp(b []byte) (ms int64, n int, ok bool) {
	n, zone := scanTimestamp(b)
	if n == 0 {
		return 0, 0, false
	}
	y, ok1 := digits(b[0:4])
	mo, ok2 := digits(b[5:7])
	dd, ok3 := digits(b[8:10])
	hh, ok4 := digits(b[11:13])
	mi, ok5 := digits(b[14:16])
	ss, ok6 := digits(b[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || mo < 1 || mo > 12 || dd < 1 || dd > 31 || hh > 23 || mi > 59 || ss > 60 {
		return 0, 0, false
	}
	frac := fracMillis(b[19:zone])
	offset := 0 // minutes east of UTC
	switch z := b[zone:n]; {
	case len(z) > 0 && (z[0] == '+' || z[0] == '-'):
		offset, _, _ = parseOffset(z)
	case len(z) > 2 && z[0] == ' ':
		offset, _, _ = parseOffset(z[2:])
	}
	days := daysFromCivil(y, mo, dd)
	ms = ((days*24+int64(hh))*60+int64(mi)-int64(offset))*60000 + int64(ss)*1000 + int64(frac)
	return ms, n, true
}

// scanTimestamp checks the layout of the timestamp starting b, as
// [parseTimestamp] reads it: its separators, the first and last digits
// (parseTimestamp checks the others); it returns the timestamp's length (0
// if there is none) and where its zone starts.
func scanTimestamp(b []byte) (n, zone int) {
	if len(b) >= 24 && b[23] == 'Z' && b[19] == '.' && b[10] == 'T' && isDigit(b[22]) && isDigit(b[0]) &&
		b[4] == '-' && b[7] == '-' && b[13] == ':' && b[16] == ':' && isDigit(b[18]) && isDigit(b[20]) && isDigit(b[21]) {
		return 24, 23 // "2026-11-23T07:00:02.431Z", as CloudWatch exports write it
	}
	if len(b) < 19 || b[4] != '-' || b[7] != '-' || (b[10] != 'T' && b[10] != ' ') || b[13] != ':' || b[16] != ':' ||
		!isDigit(b[0]) || !isDigit(b[18]) {
		return 0, 0
	}
	n = 19
	if n+1 < len(b) && (b[n] == '.' || b[n] == ',') && isDigit(b[n+1]) {
		n += 2
		for n < len(b) && isDigit(b[n]) {
			n++
		}
	}
	zone = n
	if n < len(b) {
		switch c := b[n]; {
		case c == 'Z':
			n++
		case c == '+' || c == '-':
			if _, m, ok := parseOffset(b[n:]); ok {
				n += m
			}
		case c == ' ' && n+2 < len(b) && b[n+1] == '(':
			if _, m, ok := parseOffset(b[n+2:]); ok && n+2+m < len(b) && b[n+2+m] == ')' {
				n += 3 + m
			}
		}
	}
	return n, zone
}

// timeCache parses the timestamps of a stream, reusing the last one's
// date and hour: sorted logs repeat them line after line.
type timeCache struct {
	hour [13]byte // "2026-11-23T07"
	base int64    // Unix ms of that hour, for a UTC timestamp
	ok   bool
}

// parse returns the Unix milliseconds of a whole timestamp value (ISO 8601
// or a Unix time), or 0.
func (c *timeCache) parse(b []byte) int64 {
	if c.ok && len(b) == 24 && b[23] == 'Z' && b[19] == '.' && b[16] == ':' &&
		binary.LittleEndian.Uint64(b) == binary.LittleEndian.Uint64(c.hour[:]) &&
		binary.LittleEndian.Uint64(b[5:]) == binary.LittleEndian.Uint64(c.hour[5:]) {
		// "2026-11-23T07:MM:SS.mmmZ" in the hour of the last timestamp.
		m1, m2, s1, s2 := b[14]-'0', b[15]-'0', b[17]-'0', b[18]-'0'
		f1, f2, f3 := b[20]-'0', b[21]-'0', b[22]-'0'
		if m1 < 6 && m2 <= 9 && s1 <= 6 && s2 <= 9 && f1 <= 9 && f2 <= 9 && f3 <= 9 {
			return c.base + int64(m1*10+m2)*60000 + (int64(s1)*10+int64(s2))*1000 + int64(f1)*100 + int64(f2)*10 + int64(f3)
		}
	}
	if c.ok && len(b) >= 20 && b[len(b)-1] == 'Z' && string(b[:13]) == string(c.hour[:]) {
		// The same hour in UTC: minutes, seconds and fraction differ.
		n, zone := scanTimestamp(b)
		mi, ok1 := digits(b[14:16])
		ss, ok2 := digits(b[17:19])
		if n == len(b) && zone == n-1 && ok1 && ok2 && mi < 60 && ss <= 60 {
			return c.base + int64(mi)*60000 + int64(ss)*1000 + int64(fracMillis(b[19:zone]))
		}
	}
	ms, ok := parseAnyTime(b)
	if !ok {
		return 0
	}
	if n, zone := scanTimestamp(b); n == len(b) && zone == n-1 && b[n-1] == 'Z' {
		copy(c.hour[:], b[:13])
		c.base = ms - ms%(60*60*1000)
		c.ok = true
	}
	return ms
}

// fracMillis returns the milliseconds of a fraction (".431", ",4", "").
func fracMillis(f []byte) int {
	if len(f) < 2 {
		return 0
	}
	v, places := 0, 0
	for _, c := range f[1:] {
		if places == 3 {
			break
		}
		v = v*10 + int(c-'0')
		places++
	}
	for ; places < 3; places++ {
		v *= 10
	}
	return v
}

// parseOffset parses "+02:00", "-0130" or "+05" into minutes.
func parseOffset(b []byte) (minutes, n int, ok bool) {
	if len(b) < 3 {
		return 0, 0, false
	}
	h, okH := digits(b[1:3])
	if !okH || h > 23 {
		return 0, 0, false
	}
	n = 3
	m := 0
	switch {
	case len(b) >= 6 && b[3] == ':':
		if m, ok = digits(b[4:6]); !ok {
			return 0, 0, false
		}
		n = 6
	case len(b) >= 5 && isDigit(b[3]):
		if m, ok = digits(b[3:5]); !ok {
			return 0, 0, false
		}
		n = 5
	}
	if m > 59 {
		return 0, 0, false
	}
	minutes = h*60 + m
	if b[0] == '-' {
		minutes = -minutes
	}
	return minutes, n, true
}

// parseEpoch parses a Unix time written as a number: milliseconds (as
// CloudWatch writes them) or, below 1e11, seconds with an optional
// fraction.
func parseEpoch(b []byte) (int64, bool) {
	v, ok := parseFloat(b)
	if !ok || v <= 0 || v > 1e16 {
		return 0, false
	}
	if v < 1e11 {
		v *= 1000
	}
	return int64(v), true
}

// parseAnyTime parses a whole timestamp value: ISO 8601 or a Unix time.
func parseAnyTime(b []byte) (int64, bool) {
	b = trimSpace(b)
	if len(b) == 0 {
		return 0, false
	}
	if ms, n, ok := parseTimestamp(b); ok {
		return ms, n == len(b)
	}
	return parseEpoch(b)
}

func digits(b []byte) (int, bool) {
	v := 0
	for _, c := range b {
		if !isDigit(c) {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// daysFromCivil returns the days since 1970-01-01 of a proleptic Gregorian
// date (H. Hinnant's algorithm).
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

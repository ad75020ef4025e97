package config

import (
	"runtime"
	"strconv"
	"time"
)

// Default database timeouts (DB_STATEMENT_TIMEOUT, DB_IDLE_IN_TX_TIMEOUT,
// DB_CONNECT_TIMEOUT): well under the 15 s request deadline, far above any
// query of the app (docs/performance.md: milliseconds).
const (
	defaultStatementTimeout = 5 * time.Second
	defaultIdleInTxTimeout  = 10 * time.Second
	defaultConnectTimeout   = 2 * time.Second
)

// loadDBTimeouts reads the database timeouts.
func (c *Config) loadDBTimeouts(getenv Getenv) error {
	var err error
	if c.DBStatementTimeout, err = parseTimeout("DB_STATEMENT_TIMEOUT", getenv("DB_STATEMENT_TIMEOUT"), defaultStatementTimeout); err != nil {
		return err
	}
	if c.DBIdleInTxTimeout, err = parseTimeout("DB_IDLE_IN_TX_TIMEOUT", getenv("DB_IDLE_IN_TX_TIMEOUT"), defaultIdleInTxTimeout); err != nil {
		return err
	}
	c.DBConnectTimeout, err = parseTimeout("DB_CONNECT_TIMEOUT", getenv("DB_CONNECT_TIMEOUT"), defaultConnectTimeout)
	return err
}

// parseTimeout reads a duration such as 5s or 500ms; 0 turns it off.
// Postgres counts these in milliseconds, so less than 1ms is refused.
func parseTimeout(name, v string, def time.Duration) (time.Duration, error) {
	if v == "" {
		return def, nil
	}
	if v == "0" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < time.Millisecond || d > 24*time.Hour {
		return 0, bad(name, "must be a duration from 1ms to 24h such as 5s (0 = off), got %q", v)
	}
	return d, nil
}

// parseMaxConns defaults to 4 connections per CPU: with Postgres on the
// same cores, more connections only add backends competing for them
// (docs/performance.md measured 8 ahead of 24 on two cores).
func parseMaxConns(v string) (int, error) {
	if v == "" {
		return max(4*runtime.GOMAXPROCS(0), 4), nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 1000 {
		return 0, bad("DB_MAX_CONNS", "must be a number from 1 to 1000, got %q", v)
	}
	return n, nil
}

// parseMaxInFlight defaults to the pool plus 1 per CPU. Requests past the
// limit wait in arrival order; beyond the pool they would only queue for a
// connection, handed out at random. The 1 per CPU keeps each CPU busy with
// the work between queries (templates, JSON); more only lengthens the tail
// (docs/performance.md, "Pool and gate").
func parseMaxInFlight(v string, dbMaxConns int) (int, error) {
	if v == "" {
		return dbMaxConns + runtime.GOMAXPROCS(0), nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, bad("MAX_IN_FLIGHT", "must be a number of requests, 0 or more (0 = no limit), got %q", v)
	}
	return n, nil
}

func parseRate(name, v string, def float64) (float64, error) {
	if v == "" {
		return def, nil
	}
	r, err := strconv.ParseFloat(v, 64)
	if err != nil || r < 0 {
		return 0, bad(name, "must be a number of requests per second (0 = off), got %q", v)
	}
	return r, nil
}

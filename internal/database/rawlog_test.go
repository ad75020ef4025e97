package database_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"example.com/saas/internal/database"
	"example.com/saas/internal/testenv"
)

func TestRawValuesNotLogged(t *testing.T) {
	t.Parallel()
	url := testenv.NewDatabase(t)
	var buf bytes.Buffer
	db, err := database.Open(context.Background(), url, database.PoolConfig{MaxOpen: 2, MaxIdle: 2, MaxLifetime: time.Hour, MaxIdleTime: time.Minute}, slog.New(slog.NewTextHandler(&buf, nil)))
	if err != nil {
		t.Fatal(err)
	}
	var n int
	db.Raw("SELECT count(*) FROM no_such_table WHERE secret = ?", "hunter2").Scan(&n)
	if strings.Contains(buf.String(), "hunter2") || !strings.Contains(buf.String(), "no_such_table") {
		t.Fatalf("log: %s", buf.String())
	}
}

package live

import (
	"testing"

	"gorm.io/gorm"

	"example.com/saas/models"
)

// An answer read while a change commits is handed to its caller but not
// kept: the next lookup reads again.
func TestDirectoryDropsAnswersReadDuringAChange(t *testing.T) {
	t.Parallel()
	d := NewDirectory(&gorm.DB{})
	d.SetLive(true)
	key := directoryKey{"slug", "acme", "user_1"}
	loads := 0
	load := func(change bool) func() (models.Tenant, error) {
		return func() (models.Tenant, error) {
			loads++
			if change {
				d.Changed() // a commit while the query ran
			}
			return models.Tenant{OrgID: "org_1"}, nil
		}
	}
	for i, step := range []struct {
		change    bool
		wantLoads int
	}{
		{change: true, wantLoads: 1},  // read during a change: not kept
		{change: false, wantLoads: 2}, // so read again, and kept
		{change: false, wantLoads: 2}, // from memory
	} {
		if t0, err := d.tenant(key, load(step.change)); err != nil || t0.OrgID != "org_1" {
			t.Fatalf("step %d: %+v, %v", i, t0, err)
		}
		if loads != step.wantLoads {
			t.Fatalf("step %d: %d loads, want %d", i, loads, step.wantLoads)
		}
	}
	d.SetLive(false)
	d.tenant(key, load(false))
	if loads != 3 {
		t.Fatalf("not live: %d loads, want 3 (a query)", loads)
	}
}

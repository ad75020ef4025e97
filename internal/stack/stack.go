// Package stack starts the whole product on one machine, the way `make run`
// does, for the tests (internal/apptest), the soak (cmd/soak) and the
// benchmark (bench): the Clerk emulator in this process, a fresh migrated
// database, the app's settings pointing at both, and the app itself
// (internal/app.Run) in this process.
//
// Each piece is started on its own, so a caller composes what it needs:
//
//	emu, err := stack.StartEmulator(ctx, stack.EmulatorConfig{AppURL: stack.BaseURL(port)})
//	db, err := stack.NewDatabase(ctx, admin, "soak")
//	a, err := stack.StartApp(ctx, stack.Settings(emu, port, db.URL), logs)
//	defer a.Stop()
//
// LoadFlags are the flags the two load harnesses share.
//
// It is for development, tests and benchmarks only: the settings carry a
// public session secret and point the app at the emulator.
package stack

package database

// LossWatch exposes connLossWatch to the external tests, which can make a
// database (internal/testenv imports this package).
type LossWatch = connLossWatch

// ShouldPing is shouldPing.
var ShouldPing = (*connLossWatch).shouldPing

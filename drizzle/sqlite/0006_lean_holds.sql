DROP INDEX `credit_holds_open_idx`;--> statement-breakpoint
DROP INDEX `credit_holds_key_idx`;--> statement-breakpoint
-- Holds are now deleted when they close, and a hold's ledger entry is written then; the ledger already has each
-- closed hold's entries. A hold still open here gets its hold entry again when it closes (it changes no balance).
DELETE FROM `credit_holds` WHERE `status` <> 'open';--> statement-breakpoint
ALTER TABLE `credit_holds` DROP COLUMN `status`;--> statement-breakpoint
ALTER TABLE `credit_holds` DROP COLUMN `captured`;--> statement-breakpoint
ALTER TABLE `credit_holds` DROP COLUMN `closed_at`;--> statement-breakpoint
DROP INDEX `ledger_entries_idempotency_key_unique`;--> statement-breakpoint
DROP INDEX `ledger_key_idx`;--> statement-breakpoint
CREATE UNIQUE INDEX `ledger_entries_idempotency_key_unique` ON `ledger_entries` (`idempotency_key`) WHERE idempotency_key IS NOT NULL;--> statement-breakpoint
CREATE INDEX `ledger_key_idx` ON `ledger_entries` (`key_id`,`created_at`) WHERE kind = 'capture';
-- The ledger and the open holds are rebuilt WITHOUT ROWID (drizzle-kit cannot say it, so this file is edited by hand):
-- a billed call inserts and deletes a hold and appends three entries, and each row is then one B-tree write instead
-- of a rowid row plus its text key's index. The ledger is clustered by (user_id, id), which also serves what the
-- by-user index did.
CREATE TABLE `__new_ledger_entries` (
	`id` text NOT NULL,
	`user_id` text NOT NULL,
	`kind` text NOT NULL,
	`delta` integer NOT NULL,
	`amount` integer NOT NULL,
	`balance_after` integer NOT NULL,
	`reference` text,
	`key_id` text,
	`idempotency_key` text,
	`note` text,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`user_id`, `id`),
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
) WITHOUT ROWID;
--> statement-breakpoint
INSERT INTO `__new_ledger_entries`("id", "user_id", "kind", "delta", "amount", "balance_after", "reference", "key_id", "idempotency_key", "note", "created_at") SELECT "id", "user_id", "kind", "delta", "amount", "balance_after", "reference", "key_id", "idempotency_key", "note", "created_at" FROM `ledger_entries`;--> statement-breakpoint
DROP TABLE `ledger_entries`;--> statement-breakpoint
ALTER TABLE `__new_ledger_entries` RENAME TO `ledger_entries`;--> statement-breakpoint
CREATE INDEX `ledger_key_idx` ON `ledger_entries` (`key_id`,`created_at`) WHERE kind = 'capture';--> statement-breakpoint
CREATE UNIQUE INDEX `ledger_entries_idempotency_key_unique` ON `ledger_entries` (`idempotency_key`) WHERE idempotency_key IS NOT NULL;--> statement-breakpoint
CREATE TABLE `__new_credit_holds` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`key_id` text,
	`call_id` text NOT NULL,
	`amount` integer NOT NULL,
	`owner` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
) WITHOUT ROWID;
--> statement-breakpoint
INSERT INTO `__new_credit_holds`("id", "user_id", "key_id", "call_id", "amount", "owner", "created_at", "expires_at") SELECT "id", "user_id", "key_id", "call_id", "amount", "owner", "created_at", "expires_at" FROM `credit_holds`;--> statement-breakpoint
DROP TABLE `credit_holds`;--> statement-breakpoint
ALTER TABLE `__new_credit_holds` RENAME TO `credit_holds`;

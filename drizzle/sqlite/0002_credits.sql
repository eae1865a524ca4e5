CREATE TABLE `access_key_sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`challenge` text NOT NULL,
	`status` text NOT NULL,
	`user_id` text,
	`key_id` text,
	`access_key_id` text,
	`access_key_secret` text,
	`source` text,
	`app_name` text,
	`creator_ip` text NOT NULL,
	`user_agent` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`decided_at` integer,
	`first_served_at` integer,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `access_key_sessions_ip_idx` ON `access_key_sessions` (`creator_ip`,`created_at`);--> statement-breakpoint
CREATE TABLE `credit_accounts` (
	`user_id` text PRIMARY KEY NOT NULL,
	`balance` integer NOT NULL,
	`held` integer NOT NULL,
	`granted` integer NOT NULL,
	`spent` integer NOT NULL,
	`grant_count` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `credit_holds` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`key_id` text,
	`call_id` text NOT NULL,
	`amount` integer NOT NULL,
	`status` text NOT NULL,
	`captured` integer DEFAULT 0 NOT NULL,
	`owner` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`closed_at` integer,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `credit_holds_open_idx` ON `credit_holds` (`status`,`expires_at`);--> statement-breakpoint
CREATE INDEX `credit_holds_key_idx` ON `credit_holds` (`key_id`,`status`);--> statement-breakpoint
CREATE TABLE `instances` (
	`id` text PRIMARY KEY NOT NULL,
	`host` text NOT NULL,
	`pid` integer NOT NULL,
	`started_at` integer NOT NULL,
	`heartbeat_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `ledger_entries` (
	`id` text PRIMARY KEY NOT NULL,
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
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `ledger_entries_idempotency_key_unique` ON `ledger_entries` (`idempotency_key`);--> statement-breakpoint
CREATE INDEX `ledger_user_idx` ON `ledger_entries` (`user_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `ledger_key_idx` ON `ledger_entries` (`key_id`,`kind`,`created_at`);--> statement-breakpoint
CREATE TABLE `redeem_codes` (
	`id` text PRIMARY KEY NOT NULL,
	`code_hash` text NOT NULL,
	`hint` text NOT NULL,
	`amount` integer NOT NULL,
	`note` text,
	`created_by` text,
	`created_at` integer NOT NULL,
	`expires_at` integer,
	`redeemed_by` text,
	`redeemed_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `redeem_codes_code_hash_unique` ON `redeem_codes` (`code_hash`);--> statement-breakpoint
ALTER TABLE `hub_keys` ADD `rpm_limit` integer;--> statement-breakpoint
ALTER TABLE `hub_keys` ADD `tpm_limit` integer;--> statement-breakpoint
ALTER TABLE `hub_keys` ADD `daily_budget` integer;--> statement-breakpoint
ALTER TABLE `hub_keys` ADD `monthly_budget` integer;
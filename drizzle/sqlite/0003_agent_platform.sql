CREATE TABLE `agent_allowed_tools` (
	`agent_id` text NOT NULL,
	`tool` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`agent_id`, `tool`),
	FOREIGN KEY (`agent_id`) REFERENCES `agents`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `agent_api_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`agent_id` text NOT NULL,
	`key_hash` text NOT NULL,
	`key_prefix` text NOT NULL,
	`name` text DEFAULT '' NOT NULL,
	`created_at` integer NOT NULL,
	`last_used_at` integer,
	`expires_at` integer,
	`revoked_at` integer,
	`revoke_after` integer,
	FOREIGN KEY (`agent_id`) REFERENCES `agents`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `agent_api_keys_hash_live` ON `agent_api_keys` (`key_hash`) WHERE revoked_at IS NULL;--> statement-breakpoint
CREATE INDEX `agent_api_keys_hash_idx` ON `agent_api_keys` (`key_hash`);--> statement-breakpoint
CREATE INDEX `agent_api_keys_agent_idx` ON `agent_api_keys` (`agent_id`);--> statement-breakpoint
CREATE TABLE `agent_tags` (
	`agent_id` text NOT NULL,
	`tag` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`agent_id`, `tag`),
	FOREIGN KEY (`agent_id`) REFERENCES `agents`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `agent_tags_tag_idx` ON `agent_tags` (`tag`);--> statement-breakpoint
CREATE TABLE `agents` (
	`id` text PRIMARY KEY NOT NULL,
	`owner_id` text NOT NULL,
	`name` text DEFAULT '' NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`status` text DEFAULT 'enabled' NOT NULL,
	`version` text DEFAULT 'v1' NOT NULL,
	`public_ref` text NOT NULL,
	`last_seen_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`owner_id`) REFERENCES `platform_users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `agents_public_ref_unique` ON `agents` (`public_ref`);--> statement-breakpoint
CREATE INDEX `agents_owner_idx` ON `agents` (`owner_id`);--> statement-breakpoint
CREATE INDEX `agents_status_idx` ON `agents` (`status`);--> statement-breakpoint
CREATE TABLE `artifacts` (
	`id` text PRIMARY KEY NOT NULL,
	`run_id` text NOT NULL,
	`version` integer NOT NULL,
	`kind` text NOT NULL,
	`content` text NOT NULL,
	`linked_event_seq` integer,
	`agent_id` text,
	`persona` text NOT NULL,
	`work_item_id` text,
	`lease_id` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`agent_id`) REFERENCES `agents`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `artifacts_run_version` ON `artifacts` (`run_id`,`version`);--> statement-breakpoint
CREATE INDEX `artifacts_lease_idx` ON `artifacts` (`lease_id`);--> statement-breakpoint
CREATE TABLE `owner_contributions` (
	`owner_id` text PRIMARY KEY NOT NULL,
	`completed_work_items` integer DEFAULT 0 NOT NULL,
	`qualified_work_items` integer DEFAULT 0 NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`owner_id`) REFERENCES `platform_users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `platform_audit_logs` (
	`id` text PRIMARY KEY NOT NULL,
	`actor_type` text NOT NULL,
	`actor_id` text NOT NULL,
	`action` text NOT NULL,
	`run_id` text,
	`data` text DEFAULT '{}' NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `platform_audit_actor_idx` ON `platform_audit_logs` (`actor_type`,`actor_id`);--> statement-breakpoint
CREATE INDEX `platform_audit_run_idx` ON `platform_audit_logs` (`run_id`);--> statement-breakpoint
CREATE INDEX `platform_audit_created_idx` ON `platform_audit_logs` (`created_at`);--> statement-breakpoint
CREATE TABLE `platform_idempotency_keys` (
	`scope` text NOT NULL,
	`key` text NOT NULL,
	`request_hash` text NOT NULL,
	`status` integer NOT NULL,
	`response_body` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`scope`, `key`)
);
--> statement-breakpoint
CREATE INDEX `platform_idempotency_created_idx` ON `platform_idempotency_keys` (`created_at`);--> statement-breakpoint
CREATE TABLE `platform_user_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`key_hash` text NOT NULL,
	`key_prefix` text NOT NULL,
	`name` text DEFAULT '' NOT NULL,
	`created_at` integer NOT NULL,
	`last_used_at` integer,
	`expires_at` integer,
	`revoked_at` integer,
	`revoke_after` integer,
	FOREIGN KEY (`user_id`) REFERENCES `platform_users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `platform_user_keys_hash_live` ON `platform_user_keys` (`key_hash`) WHERE revoked_at IS NULL;--> statement-breakpoint
CREATE INDEX `platform_user_keys_hash_idx` ON `platform_user_keys` (`key_hash`);--> statement-breakpoint
CREATE INDEX `platform_user_keys_user_idx` ON `platform_user_keys` (`user_id`);--> statement-breakpoint
CREATE TABLE `platform_users` (
	`id` text PRIMARY KEY NOT NULL,
	`hub_account_id` text,
	`registered_ip` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`hub_account_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `platform_users_hub_account_id_unique` ON `platform_users` (`hub_account_id`);--> statement-breakpoint
CREATE TABLE `run_allowed_tools` (
	`run_id` text NOT NULL,
	`tool` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`run_id`, `tool`),
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `run_events` (
	`id` text PRIMARY KEY NOT NULL,
	`run_id` text NOT NULL,
	`seq` integer NOT NULL,
	`kind` text NOT NULL,
	`persona` text NOT NULL,
	`payload` text DEFAULT '{}' NOT NULL,
	`is_key_node` integer NOT NULL,
	`agent_id` text,
	`work_item_id` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`agent_id`) REFERENCES `agents`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `run_events_run_seq` ON `run_events` (`run_id`,`seq`);--> statement-breakpoint
CREATE TABLE `run_required_tags` (
	`run_id` text NOT NULL,
	`tag` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`run_id`, `tag`),
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `runs` (
	`id` text PRIMARY KEY NOT NULL,
	`public_ref` text NOT NULL,
	`publisher_user_id` text NOT NULL,
	`goal` text NOT NULL,
	`constraints` text DEFAULT '' NOT NULL,
	`status` text NOT NULL,
	`kind` text NOT NULL,
	`onboarding_agent_id` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`completed_at` integer,
	`failure_reason` text,
	FOREIGN KEY (`publisher_user_id`) REFERENCES `platform_users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `runs_public_ref_unique` ON `runs` (`public_ref`);--> statement-breakpoint
CREATE INDEX `runs_status_idx` ON `runs` (`status`);--> statement-breakpoint
CREATE INDEX `runs_created_idx` ON `runs` (`created_at`);--> statement-breakpoint
CREATE INDEX `runs_publisher_idx` ON `runs` (`publisher_user_id`);--> statement-breakpoint
CREATE INDEX `runs_onboarding_agent_idx` ON `runs` (`onboarding_agent_id`);--> statement-breakpoint
CREATE TABLE `work_item_leases` (
	`work_item_id` text PRIMARY KEY NOT NULL,
	`lease_id` text NOT NULL,
	`agent_id` text NOT NULL,
	`lease_expires_at` integer NOT NULL,
	`claimed_at` integer NOT NULL,
	`renewed_at` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`work_item_id`) REFERENCES `work_items`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`agent_id`) REFERENCES `agents`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `work_item_leases_agent_idx` ON `work_item_leases` (`agent_id`);--> statement-breakpoint
CREATE INDEX `work_item_leases_expiry_idx` ON `work_item_leases` (`lease_expires_at`);--> statement-breakpoint
CREATE TABLE `work_item_offers` (
	`work_item_id` text NOT NULL,
	`agent_id` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`work_item_id`, `agent_id`),
	FOREIGN KEY (`work_item_id`) REFERENCES `work_items`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`agent_id`) REFERENCES `agents`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `work_item_offers_agent_idx` ON `work_item_offers` (`agent_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `work_items` (
	`id` text PRIMARY KEY NOT NULL,
	`run_id` text NOT NULL,
	`stage` text NOT NULL,
	`kind` text NOT NULL,
	`status` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`last_error` text,
	`summary` text,
	`completed_by_agent_id` text,
	`qualified` integer DEFAULT false NOT NULL,
	`completed_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `work_items_status_idx` ON `work_items` (`status`);--> statement-breakpoint
CREATE INDEX `work_items_run_idx` ON `work_items` (`run_id`);--> statement-breakpoint
CREATE INDEX `work_items_completed_by_idx` ON `work_items` (`completed_by_agent_id`,`completed_at`);
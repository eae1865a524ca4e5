CREATE TABLE `credentials` (
	`id` text PRIMARY KEY NOT NULL,
	`provider_id` text NOT NULL,
	`key_ciphertext` text NOT NULL,
	`key_fingerprint` text NOT NULL,
	`hint` text NOT NULL,
	`weight` integer NOT NULL,
	`enabled` integer NOT NULL,
	`invalid_reason` text,
	`cooldown_until` integer,
	`consecutive_failures` integer DEFAULT 0 NOT NULL,
	`requests` integer DEFAULT 0 NOT NULL,
	`errors` integer DEFAULT 0 NOT NULL,
	`last_error` text,
	`last_error_at` integer,
	`last_used_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`provider_id`) REFERENCES `providers`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `credentials_provider_fingerprint` ON `credentials` (`provider_id`,`key_fingerprint`);--> statement-breakpoint
CREATE TABLE `model_aliases` (
	`alias` text PRIMARY KEY NOT NULL,
	`target` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `model_calls` (
	`id` text PRIMARY KEY NOT NULL,
	`request_id` text NOT NULL,
	`trace_id` text,
	`user_id` text NOT NULL,
	`key_id` text,
	`app_id` text,
	`surface` text NOT NULL,
	`type` text NOT NULL,
	`requested_model` text NOT NULL,
	`provider` text,
	`model` text,
	`credential_id` text,
	`status` text NOT NULL,
	`stream` integer NOT NULL,
	`input_tokens` integer NOT NULL,
	`output_tokens` integer NOT NULL,
	`cache_read_tokens` integer NOT NULL,
	`cache_write_tokens` integer NOT NULL,
	`estimated` integer NOT NULL,
	`cost` integer NOT NULL,
	`rates` text,
	`latency_ms` integer NOT NULL,
	`ttft_ms` integer,
	`error_type` text,
	`error_message` text,
	`attempts` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `model_calls_user_idx` ON `model_calls` (`user_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `model_calls_created_idx` ON `model_calls` (`created_at`);--> statement-breakpoint
CREATE TABLE `model_rates` (
	`id` text PRIMARY KEY NOT NULL,
	`model_id` text NOT NULL,
	`input_rate` integer NOT NULL,
	`output_rate` integer NOT NULL,
	`cached_input_rate` integer,
	`effective_from` integer NOT NULL,
	FOREIGN KEY (`model_id`) REFERENCES `models`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `model_rates_model_idx` ON `model_rates` (`model_id`,`effective_from`);--> statement-breakpoint
CREATE TABLE `models` (
	`id` text PRIMARY KEY NOT NULL,
	`provider_id` text NOT NULL,
	`model` text NOT NULL,
	`type` text NOT NULL,
	`input_rate` integer NOT NULL,
	`output_rate` integer NOT NULL,
	`cached_input_rate` integer,
	`max_output_tokens` integer,
	`fallback_model` text,
	`enabled` integer NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`provider_id`) REFERENCES `providers`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `models_provider_model` ON `models` (`provider_id`,`model`);--> statement-breakpoint
CREATE TABLE `providers` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`type` text NOT NULL,
	`base_url` text NOT NULL,
	`enabled` integer NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `providers_name_unique` ON `providers` (`name`);--> statement-breakpoint
CREATE TABLE `revisions` (
	`name` text PRIMARY KEY NOT NULL,
	`value` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `settings` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `usage_daily` (
	`user_id` text NOT NULL,
	`model` text NOT NULL,
	`day` text NOT NULL,
	`requests` integer NOT NULL,
	`input_tokens` integer NOT NULL,
	`output_tokens` integer NOT NULL,
	`cache_read_tokens` integer NOT NULL,
	`cost` integer NOT NULL,
	PRIMARY KEY(`user_id`, `model`, `day`)
);

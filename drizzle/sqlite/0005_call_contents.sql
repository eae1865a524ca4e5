CREATE TABLE `call_contents` (
	`call_id` text PRIMARY KEY NOT NULL,
	`request` text NOT NULL,
	`response` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`call_id`) REFERENCES `model_calls`(`id`) ON UPDATE no action ON DELETE cascade
);

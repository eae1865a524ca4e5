-- Tranches (one process's reservation for many calls) are told apart from the per-call holds of earlier builds.
ALTER TABLE `credit_holds` ADD `kind` text DEFAULT 'call' NOT NULL;
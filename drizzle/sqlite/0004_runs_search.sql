-- Full-text search over runs (GET /v1/runs?q=), hand-written: drizzle-kit does not generate virtual tables.
-- run_search_text holds each run's searchable text: id and ref, goal, constraints, required tags and the first
-- 2000 characters of its latest artifact. runs_search is an FTS5 index over it with the trigram tokenizer, so
-- any substring of 3+ characters matches, CJK included (unicode61 would make a whole CJK sentence one token).
-- Document ids follow creation order (the backfill below too), so the newest matches come first.
-- Triggers keep both in step with the platform's tables, whoever writes them. A migration that rebuilds runs,
-- run_required_tags or artifacts (drizzle-kit's table recreation) drops their triggers: re-create them there.
CREATE TABLE `run_search_text` (
	`doc` integer PRIMARY KEY,
	`run_id` text NOT NULL UNIQUE REFERENCES `runs`(`id`) ON DELETE CASCADE,
	`ref` text NOT NULL,
	`goal` text NOT NULL,
	`constraints` text NOT NULL,
	`tags` text NOT NULL DEFAULT '',
	`output` text NOT NULL DEFAULT ''
);
--> statement-breakpoint
CREATE VIRTUAL TABLE `runs_search` USING fts5(
	ref, goal, constraints, tags, output,
	content = 'run_search_text', content_rowid = 'doc', tokenize = 'trigram remove_diacritics 1'
);
--> statement-breakpoint
CREATE TRIGGER `run_search_text_inserted` AFTER INSERT ON `run_search_text` BEGIN
	INSERT INTO runs_search (rowid, ref, goal, constraints, tags, output)
	VALUES (new.doc, new.ref, new.goal, new.constraints, new.tags, new.output);
END;
--> statement-breakpoint
CREATE TRIGGER `run_search_text_deleted` AFTER DELETE ON `run_search_text` BEGIN
	INSERT INTO runs_search (runs_search, rowid, ref, goal, constraints, tags, output)
	VALUES ('delete', old.doc, old.ref, old.goal, old.constraints, old.tags, old.output);
END;
--> statement-breakpoint
CREATE TRIGGER `run_search_text_updated` AFTER UPDATE ON `run_search_text` BEGIN
	INSERT INTO runs_search (runs_search, rowid, ref, goal, constraints, tags, output)
	VALUES ('delete', old.doc, old.ref, old.goal, old.constraints, old.tags, old.output);
	INSERT INTO runs_search (rowid, ref, goal, constraints, tags, output)
	VALUES (new.doc, new.ref, new.goal, new.constraints, new.tags, new.output);
END;
--> statement-breakpoint
CREATE TRIGGER `runs_search_run_inserted` AFTER INSERT ON `runs` BEGIN
	INSERT INTO run_search_text (run_id, ref, goal, constraints)
	VALUES (new.id, new.id || ' ' || new.public_ref, new.goal, new.constraints);
END;
--> statement-breakpoint
CREATE TRIGGER `runs_search_run_updated` AFTER UPDATE OF goal, constraints, public_ref ON `runs` BEGIN
	UPDATE run_search_text SET ref = new.id || ' ' || new.public_ref, goal = new.goal, constraints = new.constraints
	WHERE run_id = new.id;
END;
--> statement-breakpoint
CREATE TRIGGER `runs_search_tag_inserted` AFTER INSERT ON `run_required_tags` BEGIN
	UPDATE run_search_text SET tags = ltrim(tags || ' ' || new.tag) WHERE run_id = new.run_id;
END;
--> statement-breakpoint
-- Versions only grow, so the inserted artifact is the latest one.
CREATE TRIGGER `runs_search_artifact_inserted` AFTER INSERT ON `artifacts` BEGIN
	UPDATE run_search_text SET output = substr(new.content, 1, 2000) WHERE run_id = new.run_id;
END;
--> statement-breakpoint
INSERT INTO run_search_text (run_id, ref, goal, constraints, tags, output)
SELECT
	r.id,
	r.id || ' ' || r.public_ref,
	r.goal,
	r.constraints,
	coalesce((SELECT group_concat(t.tag, ' ') FROM run_required_tags t WHERE t.run_id = r.id), ''),
	coalesce((SELECT substr(a.content, 1, 2000) FROM artifacts a WHERE a.run_id = r.id ORDER BY a.version DESC LIMIT 1), '')
FROM runs r
ORDER BY r.created_at, r.id;

"""The project store's schema: named migrations, applied in order and recorded.

Conventions every module relies on:

* Every timestamp column is ``TIMESTAMP`` holding **UTC** (naive in the database, converted
  at the edges). Importers convert from the file's zone; scoring works in epoch microseconds.
* ``leads`` and ``accounts`` have a fixed core of columns; any extra column an import brings
  is added with ``ALTER TABLE ... ADD COLUMN`` (sqlite-utils style) and becomes a custom
  attribute that rules can name directly.
* ``events.lead_id`` is NULL for events of visitors not yet identified; ``visitor_links``
  maps a visitor id to its lead, and the ``lead_events`` view resolves both.
"""

from __future__ import annotations

MIGRATIONS: list[tuple[str, str]] = [
    (
        "0001_core",
        """
        CREATE TABLE IF NOT EXISTS accounts (
            account_id      VARCHAR PRIMARY KEY,  -- the company's domain, lower case
            domain          VARCHAR,
            name            VARCHAR,
            company_size    BIGINT,
            industry        VARCHAR,
            country         VARCHAR,
            annual_revenue  DOUBLE,
            tech            VARCHAR,              -- ';'-separated technologies
            is_customer     BOOLEAN,
            is_competitor   BOOLEAN,
            created_at      TIMESTAMP,
            updated_at      TIMESTAMP
        );
        CREATE TABLE IF NOT EXISTS leads (
            lead_id           VARCHAR PRIMARY KEY,
            email             VARCHAR,
            email_domain      VARCHAR,
            -- business | personal | student | disposable | competitor | customer
            email_domain_type VARCHAR,
            first_name        VARCHAR,
            last_name         VARCHAR,
            title             VARCHAR,
            seniority         VARCHAR,  -- ic | manager | director | vp | cxo
            department        VARCHAR,
            company           VARCHAR,
            company_domain    VARCHAR,
            account_id        VARCHAR,
            company_size      BIGINT,
            industry          VARCHAR,
            country           VARCHAR,
            source            VARCHAR,
            stage             VARCHAR DEFAULT 'lead',
            created_at        TIMESTAMP,
            updated_at        TIMESTAMP
        );
        CREATE TABLE IF NOT EXISTS events (
            event_id    VARCHAR NOT NULL,     -- from the file, or a content hash; unique by import
            lead_id     VARCHAR,              -- NULL until the visitor is identified
            visitor_id  VARCHAR,
            type        VARCHAR NOT NULL,
            ts          TIMESTAMP NOT NULL,   -- UTC
            url         VARCHAR,
            properties  JSON
        );
        CREATE TABLE IF NOT EXISTS visitor_links (
            visitor_id  VARCHAR PRIMARY KEY,
            lead_id     VARCHAR NOT NULL,
            linked_at   TIMESTAMP
        );
        CREATE TABLE IF NOT EXISTS intent_signals (
            signal_id   VARCHAR NOT NULL,
            account_id  VARCHAR NOT NULL,     -- company domain, lower case
            topic       VARCHAR NOT NULL,
            strength    DOUBLE NOT NULL,      -- 0..100
            ts          TIMESTAMP NOT NULL
        );
        CREATE TABLE IF NOT EXISTS outcomes (
            outcome_id  VARCHAR NOT NULL,
            lead_id     VARCHAR NOT NULL,
            -- accepted | rejected | sql | opportunity | won | lost
            outcome     VARCHAR NOT NULL,
            reason      VARCHAR,
            value       DOUBLE,
            ts          TIMESTAMP NOT NULL
        );
        CREATE TABLE IF NOT EXISTS definitions (
            definition_hash VARCHAR PRIMARY KEY,
            name            VARCHAR,
            version         VARCHAR,
            source          VARCHAR NOT NULL,  -- the YAML text as loaded
            created_at      TIMESTAMP NOT NULL
        );
        CREATE TABLE IF NOT EXISTS scores (
            lead_id          VARCHAR NOT NULL,
            definition_hash  VARCHAR NOT NULL,
            as_of            TIMESTAMP NOT NULL,
            fit              DOUBLE NOT NULL,
            engagement       DOUBLE NOT NULL,
            total            DOUBLE NOT NULL,
            grade            VARCHAR,
            band             INTEGER,
            tier             VARCHAR,
            disqualified     BOOLEAN NOT NULL,
            dq_reason        VARCHAR,
            sla_due          TIMESTAMP,
            route            VARCHAR,
            contributions    JSON NOT NULL     -- replaced by 0004
        );
        CREATE TABLE IF NOT EXISTS imports (
            import_id    VARCHAR PRIMARY KEY,
            kind         VARCHAR NOT NULL,   -- leads | accounts | events | outcomes | intent
            file         VARCHAR NOT NULL,
            started_at   TIMESTAMP NOT NULL,
            finished_at  TIMESTAMP,
            rows_read    BIGINT,
            rows_loaded  BIGINT,
            rows_rejected BIGINT
        );
        CREATE TABLE IF NOT EXISTS rejects (
            import_id  VARCHAR NOT NULL,
            file       VARCHAR NOT NULL,
            line       BIGINT,
            column_name VARCHAR,
            reason     VARCHAR NOT NULL,
            raw        VARCHAR
        );
        CREATE OR REPLACE VIEW lead_events AS
            SELECT e.event_id,
                   coalesce(e.lead_id, v.lead_id) AS lead_id,
                   e.visitor_id, e.type, e.ts, e.url, e.properties
            FROM events e LEFT JOIN visitor_links v ON e.lead_id IS NULL
                                                  AND e.visitor_id = v.visitor_id
            WHERE coalesce(e.lead_id, v.lead_id) IS NOT NULL;
        """,
    ),
]

MIGRATIONS.append(
    (
        "0002_score_runs",
        """
        CREATE TABLE IF NOT EXISTS score_runs (
            definition_hash VARCHAR NOT NULL,
            as_of           TIMESTAMP NOT NULL,
            scored_at       TIMESTAMP NOT NULL,
            leads           BIGINT NOT NULL,
            seconds         DOUBLE
        );
        CREATE OR REPLACE VIEW current_scores AS
            SELECT s.* FROM scores s
            JOIN (SELECT definition_hash, as_of FROM score_runs
                  ORDER BY scored_at DESC LIMIT 1) r
              ON s.definition_hash = r.definition_hash AND s.as_of = r.as_of;
        """,
    )
)

MIGRATIONS.append(
    (
        "0004_contributions_list",
        # Contributions as a list of hundredths in the definition's rule order: a JSON
        # object per lead cost more than the scoring itself on a million leads.
        """
        ALTER TABLE scores DROP COLUMN contributions;
        ALTER TABLE scores ADD COLUMN contributions BIGINT[];
        ALTER TABLE definitions ADD COLUMN rule_keys VARCHAR[];
        """,
    )
)

MIGRATIONS.append(
    (
        "0003_title_flag",
        # A core field rules read (student / job_seeker / none), filled by enrichment.
        "ALTER TABLE leads ADD COLUMN IF NOT EXISTS title_flag VARCHAR;",
    )
)

MIGRATIONS.append(
    (
        "0005_plans",
        # Each definition's generated scoring query, as a template with its as-of time left
        # open, under the signature of what else it depends on (leadgate.scoring.plans).
        """
        CREATE TABLE IF NOT EXISTS plans (
            definition_hash VARCHAR NOT NULL,
            signature       VARCHAR NOT NULL,
            generator       VARCHAR NOT NULL,
            token           VARCHAR NOT NULL,
            template        VARCHAR NOT NULL,
            created_at      TIMESTAMP NOT NULL,
            PRIMARY KEY (definition_hash, signature)
        );
        """,
    )
)

MIGRATIONS.append(
    (
        "0006_lead_events_union",
        # The same rows as 0001's view, read in two parts: events that name their lead, and
        # events of a visitor linked to a lead. 0001 probed visitor_links once per event,
        # most of which name their lead; this probes it only for visitor events (a quarter
        # of a scoring run's CPU on 50M events). Equal: a row with a lead_id matched no
        # link in 0001 (the join required lead_id IS NULL) and kept its lead_id; a row
        # without one kept the one link of its visitor (visitor_id is the links' key)
        # and was dropped without one.
        """
        CREATE OR REPLACE VIEW lead_events AS
            SELECT event_id, lead_id, visitor_id, type, ts, url, properties
            FROM events WHERE lead_id IS NOT NULL
            UNION ALL
            SELECT e.event_id, v.lead_id, e.visitor_id, e.type, e.ts, e.url, e.properties
            FROM events e JOIN visitor_links v ON v.visitor_id = e.visitor_id
            WHERE e.lead_id IS NULL;
        """,
    )
)

MIGRATIONS.append(
    (
        "0007_import_source",
        # The imported file's absolute path, so that the next import of the same file, from
        # whatever folder or spelling, finds an earlier one that was interrupted
        # (leadgate.ingest.history). ``file`` keeps the path as it was given. ``error``: why
        # an import stopped on an error (a kill -9 or Ctrl-C leaves none: interrupted).
        """
        ALTER TABLE imports ADD COLUMN IF NOT EXISTS source_path VARCHAR;
        ALTER TABLE imports ADD COLUMN IF NOT EXISTS error VARCHAR;
        """,
    )
)

MIGRATIONS.append(
    (
        "0008_lead_aliases",
        # One person from several sources is one lead (identity: the email, trimmed and
        # lower-cased). Every id a source gave a lead is an alias of it, the lead's own id
        # included, so an event or outcome keyed by any of them finds the lead
        # (leadgate.identity). lead_merges records what `leadgate merge` did.
        """
        CREATE TABLE IF NOT EXISTS lead_aliases (
            -- unique, kept so by the writers: an index made a million leads' import 5 % slower
            alias       VARCHAR NOT NULL,     -- an id a source gave the lead
            lead_id     VARCHAR NOT NULL,
            source      VARCHAR,              -- the preset, else the file's name
            import_id   VARCHAR,              -- NULL: the lead was stored before 0008
            created_at  TIMESTAMP
        );
        INSERT INTO lead_aliases SELECT lead_id, lead_id, NULL, NULL, NULL FROM leads
            WHERE lead_id NOT IN (SELECT alias FROM lead_aliases);
        CREATE TABLE IF NOT EXISTS lead_merges (
            merge_id     VARCHAR NOT NULL,
            lead_id      VARCHAR NOT NULL,    -- the lead kept
            merged_id    VARCHAR NOT NULL,    -- the lead merged into it (now an alias)
            email        VARCHAR NOT NULL,
            events       BIGINT NOT NULL,     -- events moved to lead_id
            outcomes     BIGINT NOT NULL,     -- outcomes moved to lead_id
            merged_at    TIMESTAMP NOT NULL
        );
        """,
    )
)

MIGRATIONS.append(
    (
        "0009_stage_transitions",
        # Every stage change of a lead, append-only (leadgate.handoff.transitions): rows are
        # inserted, never updated or deleted; leads.stage is the last row's to_stage.
        # lead_handoff keeps per lead what the SLA needs: when it entered MQL (set on entry,
        # never by a re-score) and the first sales touch.
        """
        CREATE TABLE IF NOT EXISTS stage_transitions (
            -- the order of the moves, 1, 2, ... (given by the one writer: a sequence's
            -- nextval per row cost more than the rest of a million leads' MQL entry)
            seq              BIGINT NOT NULL,
            lead_id          VARCHAR NOT NULL,
            from_stage       VARCHAR NOT NULL,
            to_stage         VARCHAR NOT NULL,
            moved_at         TIMESTAMP NOT NULL,   -- UTC, the store's clock
            actor            VARCHAR NOT NULL,     -- system | import | user:NAME | key:ID
            reason           VARCHAR,
            definition_hash  VARCHAR,              -- the definition of the score below
            score            DOUBLE,               -- the lead's total at that moment
            tier             VARCHAR,
            amount           DOUBLE                -- a won deal's (or opportunity's) amount
        );
        CREATE TABLE IF NOT EXISTS lead_handoff (
            -- one row per lead, kept so by its one writer (an index doubled MQL entry's time)
            lead_id         VARCHAR NOT NULL,
            mql_at          TIMESTAMP,             -- the SLA clock's start
            mql_tier        VARCHAR,
            first_touch_at  TIMESTAMP              -- the first sales touch: the SLA stops
        );
        """,
    )
)

MIGRATIONS.append(
    (
        "0010_outbox",
        # Events for webhooks, written in the transaction of the change they announce
        # (leadgate.handoff.outbox): the change and its event commit together or not at all.
        # ``body`` is the JSON posted, fixed at enqueue, so every retry sends the same bytes.
        # ``round`` counts replays: a replay sends again to every endpoint, and only the
        # deliveries of the current round count. outbox_deliveries: one row per attempt on
        # one endpoint. webhook_endpoints_disabled: endpoints that answered 410 Gone.
        """
        CREATE TABLE IF NOT EXISTS outbox (
            message_id       VARCHAR PRIMARY KEY,   -- msg_..., the webhook-id of every try
            event_type       VARCHAR NOT NULL,
            lead_id          VARCHAR,
            body             VARCHAR NOT NULL,
            state            VARCHAR NOT NULL,      -- pending | delivered | failed | dead
            attempts         INTEGER NOT NULL,      -- delivery passes in this round
            round            INTEGER NOT NULL,
            created_at       TIMESTAMP NOT NULL,
            next_attempt_at  TIMESTAMP,             -- NULL once delivered or dead
            delivered_at     TIMESTAMP,
            last_error       VARCHAR
        );
        CREATE TABLE IF NOT EXISTS outbox_deliveries (
            message_id       VARCHAR NOT NULL,
            round            INTEGER NOT NULL,
            endpoint         VARCHAR NOT NULL,      -- the webhook's url
            attempt          INTEGER NOT NULL,      -- 1 for the first try of the round
            attempted_at     TIMESTAMP NOT NULL,
            status_code      INTEGER,               -- NULL: no answer (refused, timeout)
            error            VARCHAR,               -- NULL: delivered (2xx)
            next_attempt_at  TIMESTAMP
        );
        CREATE TABLE IF NOT EXISTS webhook_endpoints_disabled (
            endpoint     VARCHAR PRIMARY KEY,
            disabled_at  TIMESTAMP NOT NULL,
            reason       VARCHAR NOT NULL
        );
        """,
    )
)

MIGRATIONS.append(
    (
        "0011_routing",
        # Who each lead was given to, and why (leadgate.handoff.routing): a lead's owner is
        # the rep of its latest assignment. rep_turns keeps the round robin's state between
        # runs, so turns, daily caps and a return from away carry over.
        """
        CREATE TABLE IF NOT EXISTS assignments (
            assignment_id    BIGINT NOT NULL,     -- increasing: the latest decides
            lead_id          VARCHAR NOT NULL,
            rep              VARCHAR NOT NULL,
            rule             VARCHAR NOT NULL,
            reason           VARCHAR NOT NULL,    -- the chain: rule → pool → rep: why
            definition_hash  VARCHAR,
            assigned_at      TIMESTAMP NOT NULL
        );
        CREATE TABLE IF NOT EXISTS rep_turns (
            rep       VARCHAR PRIMARY KEY,
            assigned  DOUBLE NOT NULL,            -- the fairness count (leads, or the average)
            away      BOOLEAN NOT NULL,           -- away when last seen: back, starts at average
            day       DATE,                       -- the rep's local date of `today`
            today     INTEGER NOT NULL
        );
        """,
    )
)

MIGRATIONS.append(
    (
        "0012_api_keys",
        # The HTTP API's keys (leadgate.api.keys): the key itself is shown once, at creation;
        # only its SHA-256 is kept (a key is 192 random bits, so a fast hash is enough: there
        # is no dictionary to guess from). A revoked key keeps its row, for the audit trail.
        """
        CREATE TABLE IF NOT EXISTS api_keys (
            key_id      VARCHAR PRIMARY KEY,   -- the public part, printed in logs and actors
            name        VARCHAR NOT NULL,
            role        VARCHAR NOT NULL,      -- admin | marketing | sales | ingest | read
            key_hash    VARCHAR NOT NULL,      -- hex SHA-256 of the whole key
            created_at  TIMESTAMP NOT NULL,
            revoked_at  TIMESTAMP
        );
        """,
    )
)

MIGRATIONS.append(
    (
        "0013_sla",
        # SLA breaches (leadgate.handoff.breaches): one row per lead per MQL entry (the
        # clock's start), written by the sweep in the transaction of its sla.breached event,
        # so a breach is recorded, and announced, once. due_at is when it breached (not when
        # the sweep ran): sweeping as of successive days, or once later, records the same.
        """
        CREATE TABLE IF NOT EXISTS sla_breaches (
            lead_id        VARCHAR NOT NULL,
            mql_at         TIMESTAMP NOT NULL,   -- the clock's start
            tier           VARCHAR,
            due_at         TIMESTAMP NOT NULL,   -- the breach's time
            hours          VARCHAR NOT NULL,     -- calendar | business
            rep            VARCHAR,              -- the owner when the sweep found it
            swept_as_of    TIMESTAMP NOT NULL,   -- the as-of time of the sweep that found it
            recorded_at    TIMESTAMP NOT NULL,   -- the store's clock
            escalated_to   VARCHAR,
            reassigned_to  VARCHAR,
            note           VARCHAR,              -- why an action was not taken
            PRIMARY KEY (lead_id, mql_at)
        );
        """,
    )
)

# -- handoff lane: erasure and routing misses -------------------------------------------------
MIGRATIONS.append(
    (
        "0014_erasure",
        # `leadgate forget` (leadgate.handoff.erasure) removes a person from every table and
        # keeps only this: that an erasure happened, when, by whom, and how many rows of each
        # table went. No email, no lead id: ``subject_check`` is a slow salted hash (PBKDF2,
        # a random salt per row) that lets the operator confirm a given address was erased
        # when its owner asks again, but costs too much to test a list of addresses against.
        """
        CREATE TABLE IF NOT EXISTS erasures (
            erasure_id     VARCHAR PRIMARY KEY,
            erased_at      TIMESTAMP NOT NULL,
            actor          VARCHAR NOT NULL,      -- user:NAME | key:ID | system
            subject_check  VARCHAR NOT NULL,      -- pbkdf2_sha256$iterations$salt$hash
            rows_removed   JSON NOT NULL          -- {"leads": 1, "events": 12, ...}
        );
        """,
    )
)

MIGRATIONS.append(
    (
        "0014b_routing_misses",
        # An MQL routing could not give to anyone (nobody available, every rep at a cap), and
        # why; the latest row of a lead is its current reason (leadgate.handoff.routing_store).
        """
        CREATE TABLE IF NOT EXISTS routing_misses (
            lead_id          VARCHAR NOT NULL,
            rule             VARCHAR,
            reason           VARCHAR NOT NULL,
            definition_hash  VARCHAR,
            missed_at        TIMESTAMP NOT NULL
        );
        """,
    )
)

MIGRATIONS.append(
    (
        "0015_idempotency",
        # The HTTP API's answers to POSTs sent with an Idempotency-Key (leadgate.api.
        # idempotency), written in the transaction of the change they answer: a retry gets the
        # first answer back and changes nothing. Keyed by the API key's id, so two clients
        # cannot collide. live_scores: each lead's score as the API last computed it, one
        # event at a time (leadgate.api.live), beside the batch runs' scores.
        """
        CREATE TABLE IF NOT EXISTS idempotency (
            key_id       VARCHAR NOT NULL,    -- the API key that sent the request
            idem_key     VARCHAR NOT NULL,    -- the Idempotency-Key header
            fingerprint  VARCHAR NOT NULL,    -- SHA-256 of method, path and body
            status       INTEGER NOT NULL,
            body         VARCHAR NOT NULL,    -- the JSON answered
            created_at   TIMESTAMP NOT NULL,
            PRIMARY KEY (key_id, idem_key)
        );
        CREATE TABLE IF NOT EXISTS live_scores (
            lead_id          VARCHAR PRIMARY KEY,
            definition_hash  VARCHAR NOT NULL,
            as_of            TIMESTAMP NOT NULL,
            fit              DOUBLE NOT NULL,
            engagement       DOUBLE NOT NULL,
            total            DOUBLE NOT NULL,
            grade            VARCHAR,
            band             INTEGER,
            tier             VARCHAR,
            disqualified     BOOLEAN NOT NULL,
            dq_reason        VARCHAR,
            scored_at        TIMESTAMP NOT NULL
        );
        """,
    )
)

MIGRATIONS.append(
    (
        "0016_definition_versions",
        # Who made which definition the project's, and when (leadgate.definition.versions):
        # one row per activation, append-only. The versions' texts are in ``definitions``
        # (by hash); the project's definition file holds the active one's text.
        """
        CREATE TABLE IF NOT EXISTS definition_activations (
            seq              BIGINT NOT NULL,      -- 1, 2, ...: the latest decides
            definition_hash  VARCHAR NOT NULL,
            previous_hash    VARCHAR,              -- the file's definition before (NULL: invalid)
            actor            VARCHAR NOT NULL,     -- system | import | user:NAME | key:ID
            activated_at     TIMESTAMP NOT NULL
        );
        """,
    )
)

MIGRATIONS.append(
    (
        "0017_users",
        # The dashboard's people and their sign-ins (leadgate.web). A password is kept only
        # as its argon2 hash; a session only as the SHA-256 of its cookie (256 random bits),
        # so a copy of the store signs nobody in. Failed sign-ins are kept for a while to
        # rate-limit guessing, per name and per address.
        """
        CREATE TABLE IF NOT EXISTS users (
            name           VARCHAR PRIMARY KEY,
            role           VARCHAR NOT NULL,    -- admin | marketing | sales | read
            password_hash  VARCHAR,             -- argon2id; NULL: no password set yet
            created_at     TIMESTAMP NOT NULL,
            disabled_at    TIMESTAMP
        );
        CREATE TABLE IF NOT EXISTS sessions (
            session_hash  VARCHAR PRIMARY KEY,  -- hex SHA-256 of the cookie's value
            name          VARCHAR NOT NULL,
            csrf_token    VARCHAR NOT NULL,     -- sent back with every unsafe request
            created_at    TIMESTAMP NOT NULL,
            seen_at       TIMESTAMP NOT NULL,
            ended_at      TIMESTAMP
        );
        CREATE TABLE IF NOT EXISTS signin_failures (
            name       VARCHAR NOT NULL,
            address    VARCHAR NOT NULL,
            failed_at  TIMESTAMP NOT NULL
        );
        """,
    )
)

MIGRATIONS.append(
    (
        "0018_current_scores_live",
        # A lead's current score is the newest one: the latest scoring run's, unless the
        # server rescored the lead after that run (same definition), live. Live rows carry
        # no per-rule parts, SLA or route (NULL): readers rebuild an explanation when they
        # need one. A later run is newer than every live row before it, so it wins again.
        """
        CREATE OR REPLACE VIEW current_scores AS
        WITH run AS (
            SELECT definition_hash, as_of, scored_at FROM score_runs
            ORDER BY scored_at DESC LIMIT 1
        ),
        fresh AS (
            SELECT l.lead_id, l.definition_hash, l.as_of, l.fit, l.engagement, l.total,
                   l.grade, l.band, l.tier, l.disqualified, l.dq_reason
            FROM live_scores l JOIN run r
              ON l.definition_hash = r.definition_hash AND l.scored_at > r.scored_at
        )
        SELECT s.* FROM scores s JOIN run r
            ON s.definition_hash = r.definition_hash AND s.as_of = r.as_of
        WHERE s.lead_id NOT IN (SELECT lead_id FROM fresh)
        UNION ALL BY NAME
        SELECT * FROM fresh;
        """,
    )
)

MIGRATIONS.append(
    (
        "0019_lead_outcomes",
        # What happened to each lead after MQL, from both places it is recorded: outcomes
        # imported from a CRM (their lead named by id or alias) and the stages sales moved
        # it to here (a won deal's amount as its value; a person's recycle or
        # disqualification as a rejection, a lifecycle rule's recycle is not one). The
        # funnel, lift, backtest, calibration and forecast all count "won" from this one
        # relation, so they cannot disagree about it.
        """
        CREATE OR REPLACE VIEW lead_outcomes AS
        SELECT coalesce(a.lead_id, o.lead_id) AS lead_id, o.outcome, o.ts, o.value,
               o.reason, 'import' AS recorded_by
        FROM outcomes o LEFT JOIN lead_aliases a ON a.alias = o.lead_id
        UNION ALL
        SELECT t.lead_id,
               CASE t.to_stage WHEN 'sal' THEN 'accepted'
                               WHEN 'recycled' THEN 'rejected'
                               WHEN 'disqualified' THEN 'rejected'
                               ELSE t.to_stage END,
               t.moved_at, t.amount, t.reason, 'stage'
        FROM stage_transitions t
        WHERE t.to_stage IN ('sal', 'sql', 'opportunity', 'won', 'lost')
           OR (t.to_stage IN ('recycled', 'disqualified') AND t.actor <> 'system');
        """,
    )
)

MIGRATIONS.append(
    (
        "0020_journal_applied",
        # The last write-behind journal record applied to this store (the server's
        # :mod:`leadgate.api.behind`): a record at or below it is never applied twice. One
        # row, updated in the transaction that writes the records.
        """
        CREATE TABLE IF NOT EXISTS journal_applied (seq BIGINT NOT NULL);
        INSERT INTO journal_applied SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM journal_applied);
        """,
    )
)

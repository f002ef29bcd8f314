-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "UnitLevel" AS ENUM ('PROVINCE', 'DISTRICT', 'COMMUNE', 'VILLAGE');

-- CreateEnum
CREATE TYPE "Channel" AS ENUM ('TELEGRAM', 'ZALO', 'CLI');

-- CreateEnum
CREATE TYPE "Role" AS ENUM ('OFFICER', 'SUPERVISOR', 'ADMIN');

-- CreateEnum
CREATE TYPE "Direction" AS ENUM ('IN', 'OUT');

-- CreateEnum
CREATE TYPE "UnansweredOutcome" AS ENUM ('FALLBACK', 'LOW_CONFIDENCE');

-- CreateEnum
CREATE TYPE "TicketStatus" AS ENUM ('OPEN', 'ANSWERED', 'ESCALATED', 'CLOSED');

-- CreateEnum
CREATE TYPE "SubscriptionSource" AS ENUM ('QR', 'CHAT', 'COMMAND');

-- CreateEnum
CREATE TYPE "IndicatorKind" AS ENUM ('SHARE', 'TARGET', 'COUNT');

-- CreateEnum
CREATE TYPE "PeriodKind" AS ENUM ('MONTH', 'QUARTER', 'YEAR', 'ASOF');

-- CreateEnum
CREATE TYPE "ValueSource" AS ENUM ('IMPORT', 'API', 'OFFICER', 'DEMO');

-- CreateEnum
CREATE TYPE "DeadlineKind" AS ENUM ('DATE', 'MONTH', 'QUARTER', 'RECURRING');

-- CreateEnum
CREATE TYPE "TaskStatus" AS ENUM ('OPEN', 'DONE');

-- CreateEnum
CREATE TYPE "ReminderKind" AS ENUM ('TASK', 'TASK_OVERDUE', 'REPORT_DEADLINE', 'BRIEFING', 'PERSONAL');

-- CreateEnum
CREATE TYPE "ReminderStatus" AS ENUM ('SCHEDULED', 'SENT', 'CANCELLED', 'UNREACHABLE', 'FAILED');

-- CreateEnum
CREATE TYPE "BroadcastAudience" AS ENUM ('CITIZENS', 'OFFICERS', 'BOTH');

-- CreateEnum
CREATE TYPE "BroadcastStatus" AS ENUM ('DRAFT', 'SCHEDULED', 'RUNNING', 'DONE', 'CANCELLED');

-- CreateEnum
CREATE TYPE "DeliveryStatus" AS ENUM ('PENDING', 'SENT', 'FAILED', 'UNREACHABLE', 'CANCELLED');

-- CreateTable
CREATE TABLE "admin_unit" (
    "code" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "name_folded" TEXT NOT NULL,
    "level" "UnitLevel" NOT NULL,
    "parent_code" TEXT,
    "path" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "admin_unit_pkey" PRIMARY KEY ("code")
);

-- CreateTable
CREATE TABLE "person" (
    "id" SERIAL NOT NULL,
    "display_name" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "person_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "channel_identity" (
    "id" SERIAL NOT NULL,
    "channel" "Channel" NOT NULL,
    "external_user_id" TEXT NOT NULL,
    "chat_id" TEXT NOT NULL,
    "display_name" TEXT,
    "person_id" INTEGER NOT NULL,
    "unreachable_at" TIMESTAMP(3),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_seen_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "channel_identity_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "role_assignment" (
    "id" SERIAL NOT NULL,
    "person_id" INTEGER NOT NULL,
    "role" "Role" NOT NULL,
    "unit_code" TEXT NOT NULL,
    "granted_by" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revoked_at" TIMESTAMP(3),

    CONSTRAINT "role_assignment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "invite_code" (
    "id" SERIAL NOT NULL,
    "code_hash" TEXT NOT NULL,
    "role" "Role" NOT NULL,
    "unit_code" TEXT NOT NULL,
    "created_by" TEXT NOT NULL,
    "expires_at" TIMESTAMP(3) NOT NULL,
    "used_at" TIMESTAMP(3),
    "used_by_person_id" INTEGER,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "invite_code_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "link_code" (
    "id" SERIAL NOT NULL,
    "code_hash" TEXT NOT NULL,
    "person_id" INTEGER NOT NULL,
    "expires_at" TIMESTAMP(3) NOT NULL,
    "used_at" TIMESTAMP(3),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "link_code_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "audit_log" (
    "id" SERIAL NOT NULL,
    "actor_person_id" INTEGER,
    "actor_label" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "unit_code" TEXT,
    "detail" JSONB,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "audit_log_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "conversation_message" (
    "id" SERIAL NOT NULL,
    "person_id" INTEGER NOT NULL,
    "identity_id" INTEGER NOT NULL,
    "direction" "Direction" NOT NULL,
    "text" TEXT NOT NULL,
    "intent_id" TEXT,
    "confidence" DOUBLE PRECISION,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "conversation_message_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "conversation_state" (
    "identity_id" INTEGER NOT NULL,
    "state" JSONB NOT NULL,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "conversation_state_pkey" PRIMARY KEY ("identity_id")
);

-- CreateTable
CREATE TABLE "unanswered_question" (
    "id" SERIAL NOT NULL,
    "text" TEXT NOT NULL,
    "normalized" TEXT NOT NULL,
    "outcome" "UnansweredOutcome" NOT NULL,
    "best_intent" TEXT,
    "confidence" DOUBLE PRECISION NOT NULL,
    "channel" "Channel" NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "unanswered_question_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "handoff_ticket" (
    "id" SERIAL NOT NULL,
    "citizen_person_id" INTEGER NOT NULL,
    "citizen_identity_id" INTEGER NOT NULL,
    "unit_code" TEXT NOT NULL,
    "question" TEXT NOT NULL,
    "status" "TicketStatus" NOT NULL DEFAULT 'OPEN',
    "officer_person_id" INTEGER,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "answered_at" TIMESTAMP(3),
    "escalated_at" TIMESTAMP(3),
    "closed_at" TIMESTAMP(3),

    CONSTRAINT "handoff_ticket_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "handoff_message" (
    "id" SERIAL NOT NULL,
    "ticket_id" INTEGER NOT NULL,
    "direction" "Direction" NOT NULL,
    "text" TEXT NOT NULL,
    "channel" "Channel",
    "chat_id" TEXT,
    "forward_ref" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "handoff_message_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "subscription" (
    "identity_id" INTEGER NOT NULL,
    "unit_code" TEXT NOT NULL,
    "source" "SubscriptionSource" NOT NULL,
    "consent_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "opted_out_at" TIMESTAMP(3),

    CONSTRAINT "subscription_pkey" PRIMARY KEY ("identity_id")
);

-- CreateTable
CREATE TABLE "indicator" (
    "code" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "group" TEXT NOT NULL,
    "kind" "IndicatorKind" NOT NULL,
    "higher_is_better" BOOLEAN NOT NULL DEFAULT true,
    "sort_order" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "indicator_pkey" PRIMARY KEY ("code")
);

-- CreateTable
CREATE TABLE "indicator_value" (
    "id" SERIAL NOT NULL,
    "unit_code" TEXT NOT NULL,
    "indicator_code" TEXT NOT NULL,
    "period_kind" "PeriodKind" NOT NULL,
    "period" TEXT NOT NULL,
    "period_end" DATE NOT NULL,
    "numerator" DOUBLE PRECISION NOT NULL,
    "denominator" DOUBLE PRECISION,
    "rate" DOUBLE PRECISION,
    "reported_rate" DOUBLE PRECISION,
    "source" "ValueSource" NOT NULL,
    "entered_by" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "superseded_at" TIMESTAMP(3),

    CONSTRAINT "indicator_value_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "plan_task" (
    "id" SERIAL NOT NULL,
    "title" TEXT NOT NULL,
    "document" TEXT,
    "deadline_kind" "DeadlineKind" NOT NULL,
    "due_date" DATE,
    "cadence" TEXT,
    "status" "TaskStatus" NOT NULL DEFAULT 'OPEN',
    "completion_note" TEXT,
    "completed_at" TIMESTAMP(3),
    "completed_by" TEXT,
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "plan_task_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "plan_task_unit" (
    "task_id" INTEGER NOT NULL,
    "unit_code" TEXT NOT NULL,

    CONSTRAINT "plan_task_unit_pkey" PRIMARY KEY ("task_id","unit_code")
);

-- CreateTable
CREATE TABLE "reminder" (
    "id" SERIAL NOT NULL,
    "job_key" TEXT NOT NULL,
    "kind" "ReminderKind" NOT NULL,
    "person_id" INTEGER NOT NULL,
    "task_id" INTEGER,
    "text" TEXT NOT NULL,
    "due_at" TIMESTAMP(3) NOT NULL,
    "recurrence" TEXT,
    "urgent" BOOLEAN NOT NULL DEFAULT false,
    "status" "ReminderStatus" NOT NULL DEFAULT 'SCHEDULED',
    "sent_at" TIMESTAMP(3),
    "last_error" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "reminder_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "broadcast" (
    "id" SERIAL NOT NULL,
    "created_by_id" INTEGER,
    "created_by_label" TEXT NOT NULL,
    "unit_code" TEXT NOT NULL,
    "audience" "BroadcastAudience" NOT NULL,
    "channels" "Channel"[],
    "text" TEXT NOT NULL,
    "photo_url" TEXT,
    "status" "BroadcastStatus" NOT NULL DEFAULT 'DRAFT',
    "scheduled_at" TIMESTAMP(3),
    "started_at" TIMESTAMP(3),
    "finished_at" TIMESTAMP(3),
    "recipient_count" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "broadcast_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "broadcast_delivery" (
    "id" SERIAL NOT NULL,
    "broadcast_id" INTEGER NOT NULL,
    "identity_id" INTEGER NOT NULL,
    "status" "DeliveryStatus" NOT NULL DEFAULT 'PENDING',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_error" TEXT,
    "sent_at" TIMESTAMP(3),

    CONSTRAINT "broadcast_delivery_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "admin_unit_parent_code_idx" ON "admin_unit"("parent_code");

-- CreateIndex
CREATE INDEX "admin_unit_path_idx" ON "admin_unit"("path");

-- CreateIndex
CREATE INDEX "admin_unit_name_folded_idx" ON "admin_unit"("name_folded");

-- CreateIndex
CREATE INDEX "channel_identity_person_id_idx" ON "channel_identity"("person_id");

-- CreateIndex
CREATE UNIQUE INDEX "channel_identity_channel_external_user_id_key" ON "channel_identity"("channel", "external_user_id");

-- CreateIndex
CREATE INDEX "role_assignment_person_id_idx" ON "role_assignment"("person_id");

-- CreateIndex
CREATE INDEX "role_assignment_unit_code_role_idx" ON "role_assignment"("unit_code", "role");

-- CreateIndex
CREATE UNIQUE INDEX "invite_code_code_hash_key" ON "invite_code"("code_hash");

-- CreateIndex
CREATE UNIQUE INDEX "link_code_code_hash_key" ON "link_code"("code_hash");

-- CreateIndex
CREATE INDEX "audit_log_created_at_idx" ON "audit_log"("created_at");

-- CreateIndex
CREATE INDEX "conversation_message_person_id_created_at_idx" ON "conversation_message"("person_id", "created_at");

-- CreateIndex
CREATE INDEX "conversation_message_created_at_idx" ON "conversation_message"("created_at");

-- CreateIndex
CREATE INDEX "unanswered_question_normalized_idx" ON "unanswered_question"("normalized");

-- CreateIndex
CREATE INDEX "unanswered_question_created_at_idx" ON "unanswered_question"("created_at");

-- CreateIndex
CREATE INDEX "handoff_ticket_unit_code_status_idx" ON "handoff_ticket"("unit_code", "status");

-- CreateIndex
CREATE INDEX "handoff_message_channel_chat_id_forward_ref_idx" ON "handoff_message"("channel", "chat_id", "forward_ref");

-- CreateIndex
CREATE INDEX "subscription_unit_code_idx" ON "subscription"("unit_code");

-- CreateIndex
CREATE INDEX "indicator_value_unit_code_indicator_code_period_idx" ON "indicator_value"("unit_code", "indicator_code", "period");

-- CreateIndex
CREATE INDEX "indicator_value_indicator_code_period_idx" ON "indicator_value"("indicator_code", "period");

-- CreateIndex
CREATE INDEX "plan_task_status_due_date_idx" ON "plan_task"("status", "due_date");

-- CreateIndex
CREATE INDEX "plan_task_unit_unit_code_idx" ON "plan_task_unit"("unit_code");

-- CreateIndex
CREATE UNIQUE INDEX "reminder_job_key_key" ON "reminder"("job_key");

-- CreateIndex
CREATE INDEX "reminder_person_id_status_idx" ON "reminder"("person_id", "status");

-- CreateIndex
CREATE INDEX "reminder_status_due_at_idx" ON "reminder"("status", "due_at");

-- CreateIndex
CREATE INDEX "broadcast_status_idx" ON "broadcast"("status");

-- CreateIndex
CREATE INDEX "broadcast_delivery_broadcast_id_status_idx" ON "broadcast_delivery"("broadcast_id", "status");

-- CreateIndex
CREATE UNIQUE INDEX "broadcast_delivery_broadcast_id_identity_id_key" ON "broadcast_delivery"("broadcast_id", "identity_id");

-- AddForeignKey
ALTER TABLE "admin_unit" ADD CONSTRAINT "admin_unit_parent_code_fkey" FOREIGN KEY ("parent_code") REFERENCES "admin_unit"("code") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "channel_identity" ADD CONSTRAINT "channel_identity_person_id_fkey" FOREIGN KEY ("person_id") REFERENCES "person"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "role_assignment" ADD CONSTRAINT "role_assignment_person_id_fkey" FOREIGN KEY ("person_id") REFERENCES "person"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "role_assignment" ADD CONSTRAINT "role_assignment_unit_code_fkey" FOREIGN KEY ("unit_code") REFERENCES "admin_unit"("code") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "invite_code" ADD CONSTRAINT "invite_code_unit_code_fkey" FOREIGN KEY ("unit_code") REFERENCES "admin_unit"("code") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "link_code" ADD CONSTRAINT "link_code_person_id_fkey" FOREIGN KEY ("person_id") REFERENCES "person"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "audit_log" ADD CONSTRAINT "audit_log_actor_person_id_fkey" FOREIGN KEY ("actor_person_id") REFERENCES "person"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "conversation_message" ADD CONSTRAINT "conversation_message_person_id_fkey" FOREIGN KEY ("person_id") REFERENCES "person"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "conversation_message" ADD CONSTRAINT "conversation_message_identity_id_fkey" FOREIGN KEY ("identity_id") REFERENCES "channel_identity"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "conversation_state" ADD CONSTRAINT "conversation_state_identity_id_fkey" FOREIGN KEY ("identity_id") REFERENCES "channel_identity"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "handoff_ticket" ADD CONSTRAINT "handoff_ticket_citizen_person_id_fkey" FOREIGN KEY ("citizen_person_id") REFERENCES "person"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "handoff_ticket" ADD CONSTRAINT "handoff_ticket_unit_code_fkey" FOREIGN KEY ("unit_code") REFERENCES "admin_unit"("code") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "handoff_ticket" ADD CONSTRAINT "handoff_ticket_officer_person_id_fkey" FOREIGN KEY ("officer_person_id") REFERENCES "person"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "handoff_message" ADD CONSTRAINT "handoff_message_ticket_id_fkey" FOREIGN KEY ("ticket_id") REFERENCES "handoff_ticket"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "subscription" ADD CONSTRAINT "subscription_identity_id_fkey" FOREIGN KEY ("identity_id") REFERENCES "channel_identity"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "subscription" ADD CONSTRAINT "subscription_unit_code_fkey" FOREIGN KEY ("unit_code") REFERENCES "admin_unit"("code") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "indicator_value" ADD CONSTRAINT "indicator_value_unit_code_fkey" FOREIGN KEY ("unit_code") REFERENCES "admin_unit"("code") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "indicator_value" ADD CONSTRAINT "indicator_value_indicator_code_fkey" FOREIGN KEY ("indicator_code") REFERENCES "indicator"("code") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "plan_task_unit" ADD CONSTRAINT "plan_task_unit_task_id_fkey" FOREIGN KEY ("task_id") REFERENCES "plan_task"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "plan_task_unit" ADD CONSTRAINT "plan_task_unit_unit_code_fkey" FOREIGN KEY ("unit_code") REFERENCES "admin_unit"("code") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "reminder" ADD CONSTRAINT "reminder_person_id_fkey" FOREIGN KEY ("person_id") REFERENCES "person"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "reminder" ADD CONSTRAINT "reminder_task_id_fkey" FOREIGN KEY ("task_id") REFERENCES "plan_task"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "broadcast" ADD CONSTRAINT "broadcast_created_by_id_fkey" FOREIGN KEY ("created_by_id") REFERENCES "person"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "broadcast" ADD CONSTRAINT "broadcast_unit_code_fkey" FOREIGN KEY ("unit_code") REFERENCES "admin_unit"("code") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "broadcast_delivery" ADD CONSTRAINT "broadcast_delivery_broadcast_id_fkey" FOREIGN KEY ("broadcast_id") REFERENCES "broadcast"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "broadcast_delivery" ADD CONSTRAINT "broadcast_delivery_identity_id_fkey" FOREIGN KEY ("identity_id") REFERENCES "channel_identity"("id") ON DELETE CASCADE ON UPDATE CASCADE;

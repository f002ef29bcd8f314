-- CreateTable
CREATE TABLE "officer_group" (
    "id" SERIAL NOT NULL,
    "channel" "Channel" NOT NULL,
    "chat_id" TEXT NOT NULL,
    "unit_code" TEXT NOT NULL,
    "title" TEXT,
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "officer_group_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "officer_group_unit_code_idx" ON "officer_group"("unit_code");

-- CreateIndex
CREATE UNIQUE INDEX "officer_group_channel_chat_id_key" ON "officer_group"("channel", "chat_id");

-- AddForeignKey
ALTER TABLE "officer_group" ADD CONSTRAINT "officer_group_unit_code_fkey" FOREIGN KEY ("unit_code") REFERENCES "admin_unit"("code") ON DELETE RESTRICT ON UPDATE CASCADE;

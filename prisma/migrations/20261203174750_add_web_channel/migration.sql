-- AlterEnum
ALTER TYPE "Channel" ADD VALUE 'WEB';

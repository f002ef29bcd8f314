# syntax=docker/dockerfile:1
# Build: docker build -t tro-ly-06 .   Run: see docker-compose.yml.

# ── deps: all dependencies, Prisma client generated ──
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json prisma.config.ts ./
COPY prisma ./prisma
RUN npm ci --no-audit --no-fund

# ── prod-deps: runtime dependencies only ──
FROM node:20-bookworm-slim AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# ── runtime ──
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    DATA_DIR=/var/lib/troly06 \
    PORT=3000 \
    TZ=Asia/Ho_Chi_Minh
WORKDIR /app
COPY --from=prod-deps /app/node_modules ./node_modules
COPY package.json prisma.config.ts tsconfig.json ./
COPY prisma ./prisma
COPY src ./src
COPY --from=deps /app/src/generated ./src/generated
COPY intents ./intents
COPY content ./content
RUN mkdir -p /var/lib/troly06 && chown node:node /var/lib/troly06
USER node
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/readyz').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"
CMD ["node", "--import", "tsx", "src/main.ts"]

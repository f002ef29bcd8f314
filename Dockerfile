# syntax=docker/dockerfile:1
# Build: docker build -t tro-ly-06 .   Run: see docker-compose.yml.

# ── deps: all dependencies, Prisma client generated ──
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json prisma.config.ts ./
COPY prisma ./prisma
RUN npm ci --no-audit --no-fund

# ── build: TypeScript → dist/ (JavaScript with source maps) ──
FROM deps AS build
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
RUN npm run --silent db:generate && npm run --silent build

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
COPY package.json prisma.config.ts ./
COPY prisma ./prisma
COPY --from=build /app/dist ./dist
# `npm run admin -- …`, `npm run db:migrate` in the container run the same build through scripts/run.mjs.
COPY scripts/run.mjs ./scripts/run.mjs
COPY intents ./intents
COPY content ./content
RUN mkdir -p /var/lib/troly06 && chown node:node /var/lib/troly06
USER node
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/readyz').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"
# The compiled build, straight (no tsx, no build check): the image holds no sources to compare with.
CMD ["node", "--enable-source-maps", "dist/main.js"]

# syntax=docker/dockerfile:1
# Production image: Node 24 slim, production dependencies only, non-root, health-checked.
# Node runs the TypeScript sources directly (type stripping), so there is no build step.

FROM node:24-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# No dependency has an install script; --ignore-scripts keeps a compromised release from running one here.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM node:24-slim
# The heap cap keeps RSS near the live set instead of letting V8 grow the heap freely; 384 MB held
# 100,000 cached products at the default CACHE_MEMORY_MAX_BYTES (PERFORMANCE.md). Raise both together.
# A 16 MB semi-space (V8 lets it grow to 64 MB by default) keeps the young generation to 48 MB:
# RSS after caching 100,000 products fell from 499 to 401 MiB in the load suite; its effect on CPU
# was within this machine's noise. These and the flag in CMD are PRODUCTION_NODE_ARGS in loadtest/api-child.ts,
# which the load suite and benchmarks run with; test/deploy.test.ts holds the two equal.
ENV NODE_ENV=production \
    NODE_OPTIONS="--max-old-space-size=384 --max-semi-space-size=16" \
    HOST=0.0.0.0 \
    PORT=3000 \
    PGLITE_DIR=/app/data/pglite
WORKDIR /app
COPY --from=deps --chown=node:node /app/node_modules ./node_modules
COPY --chown=node:node package.json ./
COPY --chown=node:node src ./src
COPY --chown=node:node schema ./schema
# The migration runner only: the other scripts are benchmarks that need devDependencies.
COPY --chown=node:node scripts/migrate.ts ./scripts/migrate.ts
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# node as PID 1 receives SIGTERM directly and the app drains and flushes before exiting.
# --no-allocation-site-pretenuring: start-up leaves many long-lived objects, and V8's allocation-site
# pretenuring then allocates objects of some sites straight into the old generation (node --trace-deopt
# names sites in EventEmitter's addListener, among others). Dead old objects that point at a request's
# objects keep those alive through each young GC, and they are promoted: 3 MB kept per scavenge at
# 5,000 cached GETs a second, against about 10 KB with the flag (PERFORMANCE.md has the CPU figures).
# V8 takes this flag on the command line only, not from NODE_OPTIONS.
CMD ["node", "--no-allocation-site-pretenuring", "src/server.ts"]

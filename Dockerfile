# One image for every process of the service, chosen by its command (docs/deploying.md):
#   worker (default) · webhooks · codec-server · ops <command>…, e.g. `docker run IMAGE webhooks`.
# NODE_VERSION is the Node LTS the test suite also runs on (scripts/install-node-lts.sh).
ARG NODE_VERSION=24.22.3

# Build stage: every dependency, the compiled dist/ and the prebuilt workflow bundle.
FROM node:${NODE_VERSION}-trixie-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts/build-workflow-bundle.ts ./scripts/
COPY dev/workflow-bundle.ts ./dev/
RUN npm run build

# Runtime stage: production dependencies only, the compiled code, no compiler, no tsx, no npm at run time.
FROM node:${NODE_VERSION}-trixie-slim AS runtime
ENV NODE_ENV=production \
    WORKFLOW_BUNDLE_PATH=/app/dist/workflow-bundle.js \
    WEBHOOK_PORT=3000 \
    ADMIN_PORT=9090
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# The image's `node` user, by number, so that Kubernetes' runAsNonRoot can check it.
USER 1000:1000
# 3000: the receiver's webhooks; 9090: every process's admin port (/livez, /readyz, /metrics); 8888: codec server.
EXPOSE 3000 9090 8888
# Asks the process's own admin port; a container running `ops` exits before the first check.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 CMD ["node", "dist/healthcheck.js"]
# Exec form: node is PID 1 and receives SIGTERM itself, and drains its parts before exiting.
ENTRYPOINT ["node", "dist/main.js"]
CMD ["worker"]

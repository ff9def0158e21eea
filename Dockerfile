# One image for every casestats process: `projector`, `serve`, `simulate`, `migrate`, `export`.
# The build stage bundles the TypeScript (scripts/build.mjs, with the dev dependencies); the image
# runs that JavaScript with the production dependencies only: nothing is transpiled at start.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.base.json ./
COPY scripts ./scripts
COPY apps ./apps
COPY libs ./libs
RUN node scripts/build.mjs apps/cli

FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist/apps/cli ./dist/apps/cli
COPY package.json ./
COPY bin/casestats.js ./bin/
# The export files live in /data (a volume); the processes run as the unprivileged `node` user.
RUN mkdir -p /data && chown node:node /data
USER node
ENTRYPOINT ["node", "bin/casestats.js"]
CMD ["--help"]

# One image for every casestats process: `projector`, `serve`, `simulate`, `migrate`, `export`.
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.base.json ./
COPY bin ./bin
COPY apps ./apps
COPY libs ./libs
# The export files live in /data (a volume); the processes run as the unprivileged `node` user.
RUN mkdir -p /data && chown node:node /data
USER node
ENTRYPOINT ["node", "bin/casestats.js"]
CMD ["--help"]

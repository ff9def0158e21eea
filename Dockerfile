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
# PostgreSQL refuses to run as root; the image never uses the embedded server anyway (DATABASE_URL is required here).
USER node
ENTRYPOINT ["node", "bin/casestats.js"]
CMD ["--help"]

# mailsight container image: build the TypeScript, keep production dependencies only.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
RUN npm ci --no-audit --no-fund
COPY src ./src
COPY test ./test
COPY benchmarks ./benchmarks
RUN npm run build

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY pipelines ./pipelines
COPY samples ./samples
COPY schemas ./schemas
EXPOSE 8080
ENTRYPOINT ["/app/bin/mailsight.js"]
CMD ["run", "-c", "pipelines/default.yaml"]

# A ptq worker image: `docker build -t ptq .` then `docker run -e TEMPORAL_ADDRESS=... ptq worker`.
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY src ./src
COPY web ./web
RUN npm ci && npm prune --omit=dev
ENTRYPOINT ["node", "bin/ptq.js"]
CMD ["worker"]

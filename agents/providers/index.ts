export type { ChatMessage, GenerateRequest, GenerateResult, ModelProvider, RequestMeta, Usage } from './provider.js';
export { AnthropicProvider } from './anthropic.js';
export { OpenAiProvider } from './openai.js';
export { CommandProvider } from './command.js';
export { LimitedProvider, MeteredProvider, PausingProvider, RecordingProvider, ReplayProvider, RetryingProvider, replayKey, type Recorded } from './decorators.js';
export { CostLedger, type Spend, type SpendTotals } from './cost-ledger.js';
export { costUsd, DEFAULT_PRICES, priceOf, type Price } from './pricing.js';
export { fromSdkError } from './sdk-errors.js';

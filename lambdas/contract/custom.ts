/**
 * A custom validation action for valibot that, unlike `v.check`, carries a named `type` and a
 * JSON-serialisable `requirement`, so the AsyncAPI generator can describe it (for example
 * `max_chars` becomes JSON Schema's `maxLength`, which also counts code points).
 */
import { _addIssue, type BaseIssue, type BaseValidation, type ErrorMessage } from 'valibot';

export interface CustomIssue<T> extends BaseIssue<T> {
  readonly kind: 'validation';
  readonly type: string;
}

export interface CustomAction<T> extends BaseValidation<T, T, CustomIssue<T>> {
  readonly type: string;
  readonly reference: typeof custom;
  readonly requirement: unknown;
  readonly test: (value: T) => boolean;
  readonly message: ErrorMessage<CustomIssue<T>>;
}

/* @__NO_SIDE_EFFECTS__ */
export function custom<T>(
  type: string,
  requirement: unknown,
  test: (value: T) => boolean,
  message: string,
): CustomAction<T> {
  return {
    kind: 'validation',
    type,
    reference: custom,
    async: false,
    expects: null,
    requirement,
    test,
    message,
    '~run'(dataset, config) {
      if (dataset.typed && !this.test(dataset.value)) {
        _addIssue(this as never, 'input', dataset as never, config as never);
      }
      return dataset;
    },
  };
}

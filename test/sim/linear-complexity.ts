// Linear's query complexity, as its rate-limiting guide describes it: each property 0.1 point, each
// object 1 point, a connection multiplies its children's points by its `first`/`last` (50 when
// absent), rounded up; a query over 10,000 points is refused. Read pessimistically (pageInfo inside a
// connection is multiplied too), so a query the simulator accepts also fits the real limit.
import { Kind, getNamedType, isLeafType, isObjectType, isInterfaceType } from 'graphql';
import type { DocumentNode, FragmentDefinitionNode, GraphQLNamedType, GraphQLSchema, SelectionNode, ValueNode } from 'graphql';

export const MAX_COMPLEXITY = 10_000;

function numberArg(value: ValueNode | undefined, variables: Record<string, unknown>): number | undefined {
  if (!value) return undefined;
  if (value.kind === Kind.INT) return Number(value.value);
  if (value.kind === Kind.VARIABLE) {
    const v = variables[value.name.value];
    return typeof v === 'number' ? v : undefined;
  }
  return undefined;
}

export function queryComplexity(schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown>, operationName?: string): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);

  function cost(selections: readonly SelectionNode[], type: GraphQLNamedType): number {
    let total = 0;
    for (const s of selections) {
      if (s.kind === Kind.INLINE_FRAGMENT) {
        total += cost(s.selectionSet.selections, s.typeCondition ? schema.getType(s.typeCondition.name.value) ?? type : type);
        continue;
      }
      if (s.kind === Kind.FRAGMENT_SPREAD) {
        const f = fragments.get(s.name.value);
        if (f) total += cost(f.selectionSet.selections, schema.getType(f.typeCondition.name.value) ?? type);
        continue;
      }
      if (s.name.value.startsWith('__')) continue;
      if (!isObjectType(type) && !isInterfaceType(type)) continue;
      const field = type.getFields()[s.name.value];
      if (!field) continue;
      const named = getNamedType(field.type);
      if (isLeafType(named) || !s.selectionSet) {
        total += 0.1;
        continue;
      }
      const inner = cost(s.selectionSet.selections, named);
      if (named.name.endsWith('Connection')) {
        const arg = (name: string) => numberArg(s.arguments?.find((a) => a.name.value === name)?.value, variables);
        total += 1 + (arg('first') ?? arg('last') ?? 50) * inner;
      } else {
        total += 1 + inner;
      }
    }
    return total;
  }

  const operation = document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION && (!operationName || d.name?.value === operationName));
  if (!operation || operation.kind !== Kind.OPERATION_DEFINITION) return 0;
  const root = operation.operation === 'mutation' ? schema.getMutationType() : schema.getQueryType();
  return root ? Math.ceil(cost(operation.selectionSet.selections, root)) : 0;
}

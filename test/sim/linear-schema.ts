// The part of Linear's public GraphQL schema the simulator serves, written from Linear's API reference
// (type, field, argument and input names and types as Linear publishes them; far fewer fields).
// Every incoming document and its variables are validated against it, so a document the real API
// would reject for shape is rejected here too.

const PAGE_ARGS = 'after: String, before: String, first: Int, includeArchived: Boolean, last: Int, orderBy: PaginationOrderBy';

function connection(type: string): string {
  return `type ${type}Edge { cursor: String! node: ${type}! }
type ${type}Connection { edges: [${type}Edge!]! nodes: [${type}!]! pageInfo: PageInfo! }`;
}

export const LINEAR_SDL = `
scalar DateTime
scalar JSON
scalar TimelessDate

enum PaginationOrderBy { createdAt updatedAt }
enum IssueRelationType { blocks duplicate related similar }

interface Node { id: ID! }

type PageInfo { startCursor: String endCursor: String hasPreviousPage: Boolean! hasNextPage: Boolean! }

type User implements Node { id: ID! name: String! displayName: String! email: String! active: Boolean! createdAt: DateTime! }

type Team implements Node {
  id: ID! key: String! name: String! createdAt: DateTime! updatedAt: DateTime!
  states(${PAGE_ARGS}, filter: WorkflowStateFilter): WorkflowStateConnection!
  labels(${PAGE_ARGS}, filter: IssueLabelFilter): IssueLabelConnection!
  issues(${PAGE_ARGS}, filter: IssueFilter): IssueConnection!
}

type WorkflowState implements Node {
  id: ID! name: String! type: String! position: Float! color: String! description: String
  createdAt: DateTime! updatedAt: DateTime! team: Team!
}

type IssueLabel implements Node {
  id: ID! name: String! color: String! description: String isGroup: Boolean!
  createdAt: DateTime! updatedAt: DateTime! team: Team
}

type Issue implements Node {
  id: ID! identifier: String! number: Float! title: String! description: String url: String!
  priority: Float! createdAt: DateTime! updatedAt: DateTime! completedAt: DateTime canceledAt: DateTime startedAt: DateTime
  state: WorkflowState! team: Team! labelIds: [String!]!
  labels(${PAGE_ARGS}, filter: IssueLabelFilter): IssueLabelConnection!
  comments(${PAGE_ARGS}, filter: CommentFilter): CommentConnection!
  relations(${PAGE_ARGS}): IssueRelationConnection!
  inverseRelations(${PAGE_ARGS}): IssueRelationConnection!
}

type Comment implements Node {
  id: ID! body: String! createdAt: DateTime! updatedAt: DateTime! editedAt: DateTime url: String!
  user: User issue: Issue
}

type IssueRelation implements Node {
  id: ID! type: String! createdAt: DateTime! updatedAt: DateTime! issue: Issue! relatedIssue: Issue!
}

${connection('Team')}
${connection('WorkflowState')}
${connection('IssueLabel')}
${connection('Issue')}
${connection('Comment')}
${connection('IssueRelation')}

input StringComparator {
  eq: String neq: String in: [String!] nin: [String!] eqIgnoreCase: String neqIgnoreCase: String
  startsWith: String notStartsWith: String endsWith: String notEndsWith: String
  contains: String notContains: String containsIgnoreCase: String notContainsIgnoreCase: String
}
input NullableStringComparator {
  eq: String neq: String in: [String!] nin: [String!] null: Boolean eqIgnoreCase: String
  startsWith: String endsWith: String contains: String containsIgnoreCase: String
}
input NumberComparator { eq: Float neq: Float in: [Float!] nin: [Float!] lt: Float lte: Float gt: Float gte: Float }
input DateComparator { eq: DateTime neq: DateTime lt: DateTime lte: DateTime gt: DateTime gte: DateTime }
input IDComparator { eq: ID neq: ID in: [ID!] nin: [ID!] }
input IssueIdComparator { eq: ID neq: ID in: [ID!] nin: [ID!] }

input TeamFilter { id: IDComparator key: StringComparator name: StringComparator and: [TeamFilter!] or: [TeamFilter!] }
input NullableTeamFilter { id: IDComparator key: StringComparator name: StringComparator null: Boolean and: [NullableTeamFilter!] or: [NullableTeamFilter!] }
input WorkflowStateFilter { id: IDComparator name: StringComparator type: StringComparator position: NumberComparator team: TeamFilter and: [WorkflowStateFilter!] or: [WorkflowStateFilter!] }
input IssueLabelFilter { id: IDComparator name: StringComparator team: NullableTeamFilter and: [IssueLabelFilter!] or: [IssueLabelFilter!] }
input IssueLabelCollectionFilter {
  id: IDComparator name: StringComparator team: NullableTeamFilter some: IssueLabelFilter every: IssueLabelFilter
  length: NumberComparator and: [IssueLabelCollectionFilter!] or: [IssueLabelCollectionFilter!]
}
input CommentFilter { id: IDComparator body: StringComparator and: [CommentFilter!] or: [CommentFilter!] }
input IssueFilter {
  id: IssueIdComparator number: NumberComparator title: StringComparator description: NullableStringComparator
  team: TeamFilter state: WorkflowStateFilter labels: IssueLabelCollectionFilter
  updatedAt: DateComparator
  and: [IssueFilter!] or: [IssueFilter!]
}

input IssueCreateInput {
  id: String teamId: String! title: String description: String descriptionData: JSON stateId: String
  labelIds: [String!] assigneeId: String parentId: String priority: Int estimate: Int dueDate: TimelessDate
  projectId: String cycleId: String sortOrder: Float createdAt: DateTime
}
input IssueUpdateInput {
  title: String description: String descriptionData: JSON stateId: String teamId: String
  labelIds: [String!] addedLabelIds: [String!] removedLabelIds: [String!]
  assigneeId: String parentId: String priority: Int estimate: Int dueDate: TimelessDate projectId: String cycleId: String
  sortOrder: Float trashed: Boolean
}
input CommentCreateInput {
  id: String body: String bodyData: JSON issueId: String parentId: String createAsUser: String
  displayIconUrl: String createdAt: DateTime doNotSubscribeToIssue: Boolean quotedText: String
}
input IssueRelationCreateInput { id: String issueId: String! relatedIssueId: String! type: IssueRelationType! }
input IssueLabelCreateInput { id: String name: String! description: String color: String parentId: String teamId: String isGroup: Boolean }

type IssuePayload { lastSyncId: Float! issue: Issue success: Boolean! }
type CommentPayload { lastSyncId: Float! comment: Comment! success: Boolean! }
type IssueRelationPayload { lastSyncId: Float! issueRelation: IssueRelation! success: Boolean! }
type IssueLabelPayload { lastSyncId: Float! issueLabel: IssueLabel! success: Boolean! }

type Query {
  viewer: User!
  issue(id: String!): Issue!
  issues(${PAGE_ARGS}, filter: IssueFilter): IssueConnection!
  issueRelations(${PAGE_ARGS}): IssueRelationConnection!
  team(id: String!): Team!
  teams(${PAGE_ARGS}, filter: TeamFilter): TeamConnection!
  issueLabels(${PAGE_ARGS}, filter: IssueLabelFilter): IssueLabelConnection!
  workflowStates(${PAGE_ARGS}, filter: WorkflowStateFilter): WorkflowStateConnection!
  comment(id: String): Comment!
}

type Mutation {
  issueCreate(input: IssueCreateInput!): IssuePayload!
  issueUpdate(id: String!, input: IssueUpdateInput!): IssuePayload!
  commentCreate(input: CommentCreateInput!): CommentPayload!
  issueRelationCreate(input: IssueRelationCreateInput!, overrideCreatedAt: DateTime): IssueRelationPayload!
  issueLabelCreate(input: IssueLabelCreateInput!, replaceTeamLabels: Boolean): IssueLabelPayload!
}
`;

// Tests for the tokenizer, syntax-error "near" text and reserved words, and
// for pathological inputs near the size limit.
#include "expr/lexer.h"

#include <gtest/gtest.h>

#include "expr/condition.h"
#include "expr/reserved_words.h"
#include "expr/test_util.h"

namespace tandem {
namespace {

TEST(Lexer, Tokens) {
  std::vector<Token> t = Tokenize("a.b[10] <= :v AND #n<>x");
  ASSERT_EQ(t.back().kind, Token::Kind::kEof);
  EXPECT_EQ(t[0].text, "a");
  EXPECT_TRUE(t[1].Is("."));
  EXPECT_EQ(t[4].kind, Token::Kind::kNumber);
  EXPECT_TRUE(t[7].Is("<="));
  EXPECT_EQ(t[9].kind, Token::Kind::kValueRef);
  EXPECT_TRUE(t[11].IsKeyword("AND"));
  EXPECT_EQ(t[13].kind, Token::Kind::kName);
  EXPECT_TRUE(t[14].Is("<>"));
}

TEST(Lexer, NearText) {
  std::vector<Token> t = Tokenize("SET path = VALUE 1");
  EXPECT_EQ(SyntaxErrorMessage(t, 8), "Syntax error; token: \"1\", near: \"VALUE 1\"");
  EXPECT_EQ(SyntaxErrorMessage(t, 9), "Syntax error; token: \"<EOF>\", near: \"1\"");
  EXPECT_EQ(SyntaxErrorMessage(t, 0), "Syntax error; token: \"SET\", near: \"SET path\"");
}

TEST(ReservedWords, CaseInsensitive) {
  EXPECT_EQ(ReservedWordCount(), 573u);
  EXPECT_TRUE(IsReservedWord("status"));
  EXPECT_TRUE(IsReservedWord("Zone"));
  EXPECT_TRUE(IsReservedWord("ABORT"));
  EXPECT_FALSE(IsReservedWord("statuses"));
  EXPECT_FALSE(IsReservedWord("id"));
}

TEST(Pathological, DeepParenthesesAreRejectedQuickly) {
  testing::Request r({}, {{":v", testing::N("1")}});
  std::string deep = std::string(2000, '(') + "a" + std::string(2000, ')') + " = :v";
  StatusOr<Condition> c = ParseCondition(deep, "ConditionExpression", &r.context);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(),
            "Invalid ConditionExpression: The expression has redundant parentheses;");
  std::string nots;
  for (int i = 0; i < 800; ++i) {
    nots += "NOT ";
  }
  EXPECT_TRUE(ParseCondition(nots + "a = :v", "ConditionExpression", &r.context).ok());
  std::string unbalanced = std::string(4000, '(');
  EXPECT_FALSE(ParseCondition(unbalanced, "ConditionExpression", &r.context).ok());
}

}  // namespace
}  // namespace tandem

"""The knowledge base (知识库): articles in a category tree, submitted, approved and read;
Chinese fuzzy search; related articles; what is asked; guided question trees."""

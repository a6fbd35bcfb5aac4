from rewardkit.models.trl import reward_function


def test_standard_and_conversational_formats_score_the_same():
    fn = reward_function("length")
    standard = fn(prompts=["2+2?", "hi"], completions=["four", "hello there"], ground_truth=[1, 2])
    conversational = fn(prompts=[[{"role": "user", "content": "2+2?"}], [{"role": "system", "content": "s"}, {"role": "user", "content": "hi"}]],
                        completions=[[{"role": "assistant", "content": "four"}], [{"role": "assistant", "content": "hello there"}]])
    assert standard == conversational == [4.0, 11.0]
    assert fn.__name__ == "rewardkit_length"
